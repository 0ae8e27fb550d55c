"""``/api/v1/saved-searches``: the caller's own saved searches (a name and the console's search
URL parameters), kept on the server so they follow the administrator between browsers. Anyone
who may search (``files:read``) may keep some; nobody sees another's."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from admin_module.audit import service as audit
from admin_module.db import DbSession
from admin_module.models.saved_search import SavedSearch
from admin_module.saved_searches import repository as repo
from artstore_common.auth import FilesRead
from artstore_common.errors import Conflict, NotFound
from artstore_common.validation import SafeStr

MAX_PER_OWNER = 200

router = APIRouter(prefix="/saved-searches", tags=["saved-searches"])

ParamName = Annotated[SafeStr, Field(min_length=1, max_length=64)]
ParamText = Annotated[SafeStr, Field(max_length=2000)]
ParamValue = ParamText | Annotated[list[ParamText], Field(max_length=50)]  # ?tag=a&tag=b


class SavedSearchCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: SafeStr = Field(min_length=1, max_length=200)
    params: dict[ParamName, ParamValue] = Field(max_length=40,
                                                description="the search's URL parameters")


class SavedSearchRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    params: dict[str, str | list[str]]
    created_at: datetime


class SavedSearchList(BaseModel):
    items: list[SavedSearchRead]


class NameTaken(Conflict):
    code, message = "SAVED_SEARCH_NAME_TAKEN", "You already have a saved search with this name"


class TooMany(Conflict):
    code, message = "SAVED_SEARCH_LIMIT", f"At most {MAX_PER_OWNER} saved searches each"


class SavedSearchNotFound(NotFound):
    code, message = "SAVED_SEARCH_NOT_FOUND", "Saved search not found"


@router.get("", response_model=SavedSearchList)
async def list_saved(principal: FilesRead, session: DbSession) -> SavedSearchList:
    rows = await repo.owned(session, principal.subject)
    return SavedSearchList(items=[SavedSearchRead.model_validate(r) for r in rows])


@router.post("", response_model=SavedSearchRead, status_code=201)
async def save(body: SavedSearchCreate, principal: FilesRead,
               session: DbSession) -> SavedSearchRead:
    owner = principal.subject
    if await repo.name_taken(session, owner, body.name):
        raise NameTaken(details={"name": body.name})
    if await repo.count_owned(session, owner) >= MAX_PER_OWNER:
        raise TooMany(details={"limit": MAX_PER_OWNER})
    row = SavedSearch(id=uuid.uuid4(), owner=owner, name=body.name, params=body.params)
    session.add(row)
    await session.flush()
    await audit.record(session, action="saved_search.created", actor=principal.name or owner,
                       resource_type="saved_search", resource_id=row.id,
                       details={"name": row.name, "params": row.params})
    return SavedSearchRead.model_validate(row)


@router.delete("/{search_id}", status_code=204, response_class=Response)
async def remove(search_id: uuid.UUID, principal: FilesRead, session: DbSession) -> Response:
    name = await repo.delete_owned(session, search_id, principal.subject)
    if name is None:  # another's is as invisible as a missing one
        raise SavedSearchNotFound(details={"id": str(search_id)})
    await audit.record(session, action="saved_search.deleted",
                       actor=principal.name or principal.subject, resource_type="saved_search",
                       resource_id=search_id, details={"name": name})
    return Response(status_code=204)
