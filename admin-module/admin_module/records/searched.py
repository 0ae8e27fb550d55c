"""The files one of the caller's saved searches finds, for a hold by saved search.

The search runs where the console runs it — the query module's ``GET /api/v1/search`` — with
the caller's own token, so the hold covers exactly what that caller could see, page by page.
"""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from admin_module.config import Settings
from admin_module.saved_searches import repository as saved_repo
from admin_module.saved_searches.endpoints import SavedSearchNotFound
from artstore_common.errors import ServiceUnavailable, ValidationFailed
from artstore_common.pagination import MAX_LIMIT
from artstore_common.tls import client_verify

# The paging and facet parameters are ours to set; the rest is the search itself.
_OURS = {"limit", "offset", "facets", "page"}


async def searched(session: AsyncSession, settings: Settings, search_id: uuid.UUID,
                   owner: str, token: str, max_files: int) -> list[uuid.UUID]:
    saved = await saved_repo.get_owned(session, search_id, owner)
    if saved is None:  # another's is as invisible as a missing one
        raise SavedSearchNotFound(details={"id": str(search_id)})
    params = [(k, v) for k, vs in saved.params.items() if k not in _OURS
              for v in (vs if isinstance(vs, list) else [vs])]
    found: dict[uuid.UUID, None] = {}
    url = settings.QUERY_URL.rstrip("/") + "/api/v1/search"
    async with httpx.AsyncClient(verify=client_verify(settings), timeout=60,
                                 headers={"Authorization": f"Bearer {token}"}) as client:
        offset = 0
        while True:
            try:
                r = await client.get(url, params=[*params, ("limit", MAX_LIMIT),
                                                   ("offset", offset)])
            except httpx.HTTPError as exc:
                raise ServiceUnavailable("The query module did not answer the search",
                                         details={"error": str(exc)[:200]},
                                         headers={"Retry-After": "30"}) from exc
            if r.status_code >= 500:
                raise ServiceUnavailable("The query module could not run the search",
                                         details={"status": r.status_code},
                                         headers={"Retry-After": "30"})
            if r.status_code != 200:  # a saved search the query module no longer accepts
                raise ValidationFailed("The saved search could not be run",
                                       code="SAVED_SEARCH_INVALID",
                                       details={"id": str(search_id), "status": r.status_code,
                                                "error": r.json().get("error", {})
                                                if r.headers.get("content-type", "")
                                                .startswith("application/json") else None})
            page = r.json()
            if page["total"] > max_files or len(found) + len(page["items"]) > max_files:
                raise ValidationFailed(f"The saved search finds more than {max_files} files",
                                       code="TOO_MANY_FILES",
                                       details={"saved_search_id": str(search_id)})
            found.update((uuid.UUID(hit["file_id"]), None) for hit in page["items"])
            offset += len(page["items"])
            if not page["items"] or offset >= page["total"]:
                return list(found)
