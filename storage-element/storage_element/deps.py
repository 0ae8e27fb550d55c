"""Request dependencies: the SE context and the scopes each endpoint needs."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from artstore_common.auth import Principal, require_scopes
from storage_element.context import SEContext


def get_ctx(request: Request) -> SEContext:
    return request.app.state.se


Ctx = Annotated[SEContext, Depends(get_ctx)]
FilesRead = Annotated[Principal, Depends(require_scopes("files:read"))]
FilesWrite = Annotated[Principal, Depends(require_scopes("files:write"))]
FilesDelete = Annotated[Principal, Depends(require_scopes("files:delete"))]
StorageRead = Annotated[Principal, Depends(require_scopes("storage:read"))]
StorageAdmin = Annotated[Principal, Depends(require_scopes("storage:admin"))]
RecordsWrite = Annotated[Principal, Depends(require_scopes("records:write"))]
