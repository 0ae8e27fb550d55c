"""Run a search: conditions from the parameters, SE modes from discovery, one read txn."""

from __future__ import annotations

from collections import Counter
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from artstore_common.contracts import DiscoveryDocument
from query_module import metrics
from query_module.catalog.repository import copies_of
from query_module.catalog.schemas import FacetValue, SearchHit, SearchPage
from query_module.search import repository, syntax
from query_module.search.schemas import SearchParams
from query_module.search.snippets import ellipsize


def _se_ids_for_modes(params: SearchParams, doc: DiscoveryDocument | None) -> set[UUID] | None:
    if not params.se_mode:
        return None
    if doc is None:
        return set()
    return {se.id for se in doc.storage_elements if se.mode in params.se_mode}


def _facet_order(name: str, counter: Counter) -> list[tuple[str, int]]:
    if name == "created_day":  # a chart wants the latest days
        return sorted(counter.items(), reverse=True)
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))


async def search(
    session: AsyncSession, params: SearchParams, discovery: DiscoveryDocument | None,
    exact_limit: int = 1_000, facet_sample: int = 1_000,
) -> SearchPage:
    metrics.SEARCHES.labels(params.mode if params.q else "browse").inc()
    # A generic plan of a prepared statement guesses a tsquery's selectivity (500 rows) and
    # builds a bitmap of every match of a common word; a plan for the actual values stops early.
    local = {"plan_cache_mode": "force_custom_plan"}
    if params.q and params.mode == "partial":
        # Names with a typo: «Соколвой» ~ «Соколовой» is 0.58 in word similarity (default 0.6).
        local["pg_trgm.word_similarity_threshold"] = str(repository.PARTIAL_WORD_SIMILARITY)
    fulltext = bool(params.q) and params.mode == "fulltext"
    if fulltext and syntax.has_negation(params.q):
        # The planner takes a negation as independent of the rest and expects many matches,
        # so a sequential scan to the LIMIT: for «договор -поставки» (0 matches) it read and
        # de-TOASTed all 1M vectors, 6 s. The GIN index evaluates the negation itself.
        # (Elsewhere the early-stopping scan of a common word beats a full bitmap, 66 vs
        # 242 ms at 1M.)
        local["enable_seqscan"] = "off"
    tsqueries = await repository.prepare(session, local, params.q if fulltext else None)
    if tsqueries is not None:
        params._tsqueries = tsqueries
    se_ids = _se_ids_for_modes(params, discovery)
    conds = repository.filter_conditions(params, se_ids)
    # Counting stops past exact_limit: beyond it total is a lower bound (total_exact false).
    # One pass over those rows gives the count, the facets' sample and the ids a page of an
    # exact total is ranked among.
    match_ids: list[UUID] = []
    facet_rows: list = []
    cap = exact_limit + 1

    async def count() -> int:
        rows = await repository.matches(session, conds, cap, params.facets)
        match_ids[:] = [row[0] for row in rows]
        facet_rows[:] = [row[1:] for row in rows] if params.facets else []
        return len(rows)

    total = await count()
    if not total and params.q and params.mode == "partial":
        params._fuzzy = True  # no name contains it: perhaps a typo
        conds = repository.filter_conditions(params, se_ids)
        total = await count()
    total_exact = total <= exact_limit
    total = min(total, exact_limit)
    items: list[SearchHit] = []
    # Past a lower-bound total, later pages are still served.
    if total and (params.offset < total or not total_exact):
        if (not total_exact and params.q and params.mode == "fulltext"
                and params.effective_sort == "relevance"):
            page = await repository.large_set_page(session, params, conds)
            result = sorted(await repository.items(session, params, conds, file_ids=page),
                            key=lambda row: page.index(row[0].file_id))
        else:
            candidates = None if total_exact else repository.RANK_CANDIDATES
            result = await repository.items(
                session, params, conds, candidates, among=match_ids if total_exact else None)
        modes = {se.id: se.mode for se in discovery.storage_elements} if discovery else {}
        copies = await copies_of(session, [row[0].file_id for row in result])
        for row in result:
            mapping = row._mapping
            entity = row[0]
            hit = SearchHit.from_row(entity, copies[entity.file_id])
            hit.rank = float(mapping["rank"]) if mapping["rank"] is not None else None
            hit.storage_element_mode = modes.get(entity.storage_element_id)
            if "hl_name" in mapping:
                hit.highlights = {"original_filename": mapping["hl_name"]}
                if entity.description:
                    hit.highlights["description"] = ellipsize(
                        mapping["hl_description"], entity.description, entity.description)
                hit.snippet = ellipsize(mapping["hl_body"], mapping["body_head"],
                                        mapping["body_tail"])
            items.append(hit)
    facets = None
    sampled = None
    if params.facets:
        # Facets count every match when there are few; else a sample of facet_sample rows.
        sample = (None if total_exact and total <= facet_sample
                  else min(facet_sample, len(facet_rows)))
        counters: dict[str, Counter] = {name: Counter() for name in repository.FACET_COLUMNS}
        for row in facet_rows[:sample]:
            for name, value in zip(repository.FACET_COLUMNS, row, strict=True):
                if name == "tags":
                    counters[name].update(value or ())
                elif value is not None:
                    counters[name][str(value)] += 1
        facets = {name: [FacetValue(value=value, count=n) for value, n in
                         _facet_order(name, counter)[:repository.FACET_LIMIT]]
                  for name, counter in counters.items()}
        sampled = sample
    return SearchPage(items=items, total=total, limit=params.limit, offset=params.offset,
                      facets=facets, total_exact=total_exact, facets_sample=sampled)
