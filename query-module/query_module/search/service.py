"""Run a search: conditions from the parameters, SE modes from discovery, one read txn."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from artstore_common.contracts import DiscoveryDocument
from query_module import metrics
from query_module.catalog.repository import copies_of
from query_module.catalog.schemas import FacetValue, FileRead, SearchHit, SearchPage
from query_module.search import query
from query_module.search.schemas import SearchParams


def _se_ids_for_modes(params: SearchParams, doc: DiscoveryDocument | None) -> set[UUID] | None:
    if not params.se_mode:
        return None
    if doc is None:
        return set()
    return {se.id for se in doc.storage_elements if se.mode in params.se_mode}


async def search(
    session: AsyncSession, params: SearchParams, discovery: DiscoveryDocument | None
) -> SearchPage:
    metrics.SEARCHES.labels(params.mode if params.q else "browse").inc()
    conds = query.filter_conditions(params, _se_ids_for_modes(params, discovery))
    total = (await session.execute(query.count_query(conds))).scalar_one()
    items: list[SearchHit] = []
    if total and params.offset < total:
        result = list(await session.execute(query.items_query(params, conds)))
        modes = {se.id: se.mode for se in discovery.storage_elements} if discovery else {}
        copies = await copies_of(session, [row[0].file_id for row in result])
        for row in result:
            mapping = row._mapping
            entity = row[0]
            hit = SearchHit(
                **FileRead.from_row(entity, copies[entity.file_id]).model_dump(),
                rank=float(mapping["rank"]) if mapping["rank"] is not None else None,
            )
            hit.storage_element_mode = modes.get(entity.storage_element_id)
            if "hl_name" in mapping:
                hit.highlights = {"original_filename": mapping["hl_name"]}
                if entity.description:
                    hit.highlights["description"] = mapping["hl_description"]
            items.append(hit)
    facets = None
    if params.facets:
        facets = {}
        for name in query.FACET_COLUMNS:
            rows = await session.execute(query.facet_query(name, conds))
            facets[name] = [FacetValue(value=str(value), count=n) for value, n in rows]
    return SearchPage(items=items, total=total, limit=params.limit, offset=params.offset,
                      facets=facets)
