"""SQL for search: conditions, ranking, ordering, facets (builders), and the few statements a
search runs."""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Row,
    Select,
    Text,
    and_,
    any_,
    case,
    cast,
    false,
    func,
    literal,
    not_,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, REAL, REGCONFIG, TSQUERY, TSVECTOR, array
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncSession

from query_module.models import CatalogFile as F
from query_module.models import CatalogText
from query_module.search import snippets, syntax
from query_module.search.schemas import SearchParams

FACET_COLUMNS = {
    "content_type": F.content_type,
    "retention_policy": F.retention_policy,
    "retention_class": F.retention_class,  # files without a class are not counted
    "storage_element_id": F.storage_element_id,
    "tags": F.tags,  # a file with three tags counts once under each of them
    # Files per UTC day (YYYY-MM-DD): a 14-day upload chart is one search, not fourteen.
    "created_day": func.to_char(func.timezone("UTC", F.created_at), "YYYY-MM-DD"),
}
FACET_LIMIT = 50
PARTIAL_WORD_SIMILARITY = 0.5
# Past SEARCH_EXACT_TOTAL_LIMIT matches, relevance ranks only this many newest matches.
RANK_CANDIDATES = 500
_HEADLINE_OPTIONS = ("StartSel=<mark>, StopSel=</mark>, MaxWords=35, MinWords=10, MaxFragments=2, "
                     "FragmentDelimiter=\" … \"")
# A snippet is looked for in the first this many characters of the text.
SNIPPET_SCAN_CHARS = 100_000
EDGE_CHARS = 300


def html_escaped(column: ColumnElement) -> ColumnElement:
    """Escape before highlighting, so a snippet is safe HTML whose only tags are <mark>."""
    return func.replace(func.replace(func.replace(column, "&", "&amp;"), "<", "&lt;"),
                        ">", "&gt;")


_ZWSP = "\u200b"


def name_headline(tsq: ColumnElement) -> ColumnElement:
    """Highlight words inside names like ``invoice_march.xlsx``: the parser reads such runs
    as one file token, so a zero-width space after each separator splits them for the
    headline and is removed again afterwards (the vector is built from the same split)."""
    split = func.regexp_replace(html_escaped(F.original_filename), r"([._\-])", "\\1" + _ZWSP,
                                "g")
    marked = func.ts_headline(_config("russian"), split, tsq,
                              "HighlightAll=true, StartSel=<mark>, StopSel=</mark>")
    return func.replace(marked, _ZWSP, "")


def _config(name: str) -> ColumnElement:
    return cast(literal(name), REGCONFIG)


def _headline(text: ColumnElement, tsq: ColumnElement) -> ColumnElement:
    return func.ts_headline(_config("russian"), html_escaped(text), tsq, _HEADLINE_OPTIONS)


def body_headline(params: SearchParams, tsq: ColumnElement) -> ColumnElement:
    """ts_headline parses and stems all of its input (a 110 KB text: ~36 ms per hit), so a
    long text is headlined around the first word that may match (see migration 0008); a body
    whose lexemes hold none of the words is not searched for them at all."""
    marks = params.folded_tsquery(True)
    pattern, any_word = snippets.locate_pattern(marks), snippets.any_word_query(marks)
    located = (case((F.body_vector.op("@@", return_type=Boolean)(cast(literal(any_word),
                                                                        TSQUERY)),
                     cast(literal(pattern), Text)))
               if pattern and any_word else cast(literal(None), Text))
    return func.catalog_body_headline(CatalogText.content, tsq, located, _HEADLINE_OPTIONS,
                                      SNIPPET_SCAN_CHARS, type_=Text)


def ts_query(params: SearchParams, forms: bool = False) -> ColumnElement:
    """The query syntax (see ``syntax``), folded to a constant once per request when the
    service has done so (it repeats in the condition, the rank and three headlines)."""
    folded = params.folded_tsquery(forms)
    if folded is not None:
        return cast(literal(folded), TSQUERY)
    return syntax.to_tsquery(params.q or "", forms)


# Weights {D, C, B, A}: body lexemes are D, so a body-only match ranks below any metadata one.
_RANK_WEIGHTS = "{0.02, 0.2, 0.4, 1.0}"


def like_pattern(q: str) -> str:
    escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def text_condition(params: SearchParams) -> ColumnElement | None:
    q = params.q
    if not q:
        return None
    if params.mode == "fulltext":
        return F.search_vector.op("@@")(ts_query(params))
    if params.mode == "partial":
        # A substring; when nothing contains it (the service checks), a word close to it by
        # trigram word similarity: «Кузнецовй» still finds «Кузнецовой». Both use the
        # trigram indexes.
        name, descr = func.lower(F.original_filename), func.lower(func.coalesce(F.description, ""))
        if params.fuzzy:
            return or_(name.op("%>")(q.lower()), descr.op("%>")(q.lower()))
        pattern = like_pattern(q)
        return or_(name.like(pattern, escape="\\"), descr.like(pattern, escape="\\"))
    return F.original_filename == q


def rank_expression(params: SearchParams) -> ColumnElement | None:
    if not params.q or params.mode == "exact":
        return None
    if params.mode == "fulltext":
        return func.ts_rank(cast(literal(_RANK_WEIGHTS), ARRAY(REAL)), F.search_vector,
                            ts_query(params))
    q = params.q.lower()
    return func.greatest(
        func.similarity(func.lower(F.original_filename), q),
        func.word_similarity(q, func.lower(F.original_filename)),
        func.word_similarity(q, func.lower(func.coalesce(F.description, ""))),
    )


def _content_type_condition(values: list[str]) -> ColumnElement:
    parts: list[ColumnElement] = []
    for value in values:
        value = value.lower()
        if value.endswith("/*"):
            parts.append(func.lower(F.content_type).startswith(value[:-1], autoescape=True))
        else:
            parts.append(func.lower(F.content_type) == value)
    return or_(*parts)


def filter_conditions(
    params: SearchParams, se_ids_for_mode: Collection[UUID] | None
) -> list[ColumnElement]:
    conds: list[ColumnElement] = []
    text_cond = text_condition(params)
    if text_cond is not None:
        conds.append(text_cond)
    if params.content_type:
        conds.append(_content_type_condition(params.content_type))
    if params.extension:
        conds.append(F.extension.in_({e.lower().lstrip(".") for e in params.extension}))
    if params.tags:
        conds.append(F.tags.contains(cast(array(params.tags), ARRAY(Text))))
    if params.uploaded_by:
        conds.append(or_(F.uploaded_by_id == params.uploaded_by,
                         F.uploaded_by_name == params.uploaded_by))
    if params.size_min is not None:
        conds.append(F.size >= params.size_min)
    if params.size_max is not None:
        conds.append(F.size <= params.size_max)
    if params.created_from is not None:
        conds.append(F.created_at >= params.created_from)
    if params.created_to is not None:
        conds.append(F.created_at <= params.created_to)
    if params.expires_from is not None:
        conds.append(F.expires_at >= params.expires_from)
    if params.expires_to is not None:
        conds.append(F.expires_at <= params.expires_to)
    if params.retention_policy:
        conds.append(F.retention_policy == params.retention_policy)
    if params.on_hold is not None:
        held = func.cardinality(F.legal_holds) > 0
        conds.append(held if params.on_hold else ~held)
    if params.legal_hold is not None:
        conds.append(F.legal_holds.contains([params.legal_hold]))
    if params.retain_until_from is not None:
        conds.append(F.retain_until >= params.retain_until_from)
    if params.retain_until_to is not None:
        conds.append(F.retain_until <= params.retain_until_to)
    if params.retention_class:
        conds.append(F.retention_class.in_(params.retention_class))
    # Deleted rows are tombstones: visible only when asked for by status.
    conds.append(F.status.in_(params.status) if params.status else F.status != "deleted")
    if params.storage_element_id:
        conds.append(F.storage_element_id.in_(params.storage_element_id))
    if se_ids_for_mode is not None:
        conds.append(F.storage_element_id.in_(se_ids_for_mode) if se_ids_for_mode else false())
    return conds


def _order_by(params: SearchParams, rank: ColumnElement | None) -> list[ColumnElement]:
    sort, desc = params.effective_sort, params.effective_order == "desc"
    if sort == "relevance" and rank is not None:
        column: ColumnElement = rank
    elif sort == "size":
        column = F.size
    elif sort == "name":
        column = func.lower(F.original_filename)
    else:
        column = F.created_at
    tiebreak = F.file_id
    return [column.desc(), tiebreak.desc()] if desc else [column.asc(), tiebreak.asc()]


def _meta_match(params: SearchParams) -> ColumnElement:
    return F.meta_vector.op("@@")(ts_query(params))


def meta_ranked_query(params: SearchParams, conds: list[ColumnElement], want: int) -> Select:
    """A large full-text match set, first part: the newest RANK_CANDIDATES matches in the
    metadata, ranked on the small metadata vector (no body lexemes to de-TOAST)."""
    meta = _meta_match(params)
    # Without a negation a metadata match is a match, so the (large) search_vector is not read.
    where = [meta, *conds] if syntax.has_negation(params.q or "") else [meta, *conds[1:]]
    newest = (select(F.file_id).where(*where).order_by(F.created_at.desc())
              .limit(RANK_CANDIDATES))
    rank = func.ts_rank(cast(literal(_RANK_WEIGHTS), ARRAY(REAL)), F.meta_vector,
                        ts_query(params))
    return (select(F.file_id).where(F.file_id.in_(newest))
            .order_by(rank.desc(), F.created_at.desc(), F.file_id.desc()).limit(want))


def body_only_query(params: SearchParams, conds: list[ColumnElement], want: int) -> Select:
    """Second part: matches only in the body, newest first (they would all rank last)."""
    not_meta = not_(func.coalesce(F.meta_vector, cast(literal(""), TSVECTOR))
                    .op("@@", return_type=Boolean)(ts_query(params)))
    return (select(F.file_id).where(*conds, not_meta)
            .order_by(F.created_at.desc(), F.file_id.desc()).limit(want))


def items_query(params: SearchParams, conds: list[ColumnElement],
                rank_candidates: int | None = None,
                file_ids: list[UUID] | None = None,
                among: list[UUID] | None = None) -> Select:
    """One page of hits. With ``rank_candidates`` (a match set too large to rank whole) only
    that many of the newest matches are ranked; ``file_ids`` is a page chosen already (the
    caller keeps its order); ``among`` is the whole match set, already found."""
    rank = rank_expression(params)
    rank_col = (rank if rank is not None else literal(None)).label("rank")
    where = (F.file_id == any_(cast(literal(among, ARRAY(PG_UUID)), ARRAY(PG_UUID)))
             if among is not None else and_(*conds))
    if rank_candidates is not None and rank is not None and params.effective_sort == "relevance":
        newest = (select(F.file_id).where(where).order_by(F.created_at.desc())
                  .limit(rank_candidates))
        where = F.file_id.in_(newest)
    if file_ids is not None:
        page = select(F.file_id, rank_col).where(F.file_id.in_(file_ids)).subquery()
    else:
        page = (
            select(F.file_id, rank_col)
            .where(where)
            .order_by(*_order_by(params, rank))
            .limit(params.limit)
            .offset(params.offset)
            .subquery()
        )
    # Headlines are costly: compute them only for the page, never for the whole match set.
    columns: list[ColumnElement] = [page.c.rank]
    joined_text = False
    if params.q and params.mode == "fulltext":
        tsq = ts_query(params, forms=True)
        body = func.left(CatalogText.content, SNIPPET_SCAN_CHARS)
        columns += [
            name_headline(tsq).label("hl_name"),
            _headline(func.coalesce(F.description, ""), tsq).label("hl_description"),
            body_headline(params, tsq).label("hl_body"),
            # The text's ends, to tell whether a snippet was cut there ("…").
            func.left(CatalogText.content, EDGE_CHARS).label("body_head"),
            func.right(body, EDGE_CHARS).label("body_tail"),
        ]
        joined_text = True
    stmt = select(F, *columns).join(page, page.c.file_id == F.file_id)
    if joined_text:
        stmt = stmt.outerjoin(CatalogText, CatalogText.file_id == F.file_id)
    return stmt.order_by(*_order_by(params, page.c.rank if rank is not None else None))


def matches_query(conds: list[ColumnElement], cap: int, facets: bool) -> Select:
    """The ids of the matches (at most ``cap``: a common word must not cost a full count) and,
    with ``facets``, their facet columns: one pass gives the count, the facets and the set a
    page is then ranked in, by primary key (the match condition is not evaluated twice)."""
    columns = [F.file_id, *(FACET_COLUMNS.values() if facets else ())]
    return select(*columns).where(and_(*conds)).limit(cap)


async def prepare(session: AsyncSession, settings: dict[str, str], q: str | None
                  ) -> tuple[str, str] | None:
    """One round trip: the transaction's settings and, for a full-text ``q``, its tsqueries
    (plain and with every inflected form), folded once."""
    columns = [func.set_config(name, value, True) for name, value in settings.items()]
    if q is not None:
        columns += [cast(syntax.to_tsquery(q), Text), cast(syntax.to_tsquery(q, forms=True), Text)]
    row = (await session.execute(select(*columns))).one()
    return (row[-2], row[-1]) if q is not None else None


async def matches(session: AsyncSession, conds: list[ColumnElement], cap: int,
                  facets: bool) -> list[Row]:
    return list((await session.execute(matches_query(conds, cap, facets))).all())


async def large_set_page(session: AsyncSession, params: SearchParams,
                         conds: list[ColumnElement]) -> list[UUID]:
    """The page of a match set too large to rank whole: metadata matches ranked first (newest
    RANK_CANDIDATES of them), then body-only matches, newest first."""
    want = params.offset + params.limit
    ids = list((await session.execute(meta_ranked_query(params, conds, want))).scalars())
    if len(ids) < want:
        ids += (await session.execute(body_only_query(params, conds, want - len(ids)))
                ).scalars()
    return ids[params.offset:want]


async def items(session: AsyncSession, params: SearchParams, conds: list[ColumnElement],
                candidates: int | None = None, *, among: list[UUID] | None = None,
                file_ids: list[UUID] | None = None) -> list[Row]:
    return list(await session.execute(items_query(params, conds, candidates, among=among,
                                                  file_ids=file_ids)))
