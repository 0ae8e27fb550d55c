"""Request dependencies: the SE context and the scopes each endpoint needs."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from artstore_common.auth import (
    FilesDelete,
    FilesRead,
    FilesWrite,
    Principal,
    RecordsWrite,
    StorageAdmin,
    StorageRead,
    authenticate,
)
from artstore_common.auth.dependencies import declare_auth
from artstore_common.auth.scopes import FILES_DELETE, FILES_REPLICATE
from artstore_common.errors import Forbidden
from storage_element.context import SEContext

__all__ = ["Ctx", "FilesDelete", "FilesDeleteOrWithdraw", "FilesRead", "FilesWrite",
           "RecordsWrite", "StorageAdmin", "StorageRead"]


async def _delete_or_withdraw(request: Request) -> Principal:
    """``files:delete``, or ``files:replicate`` to withdraw a copy of an upload the ingester
    refused (``files.service.delete`` limits that to young copies)."""
    principal = await authenticate(request)
    if not (principal.has(FILES_DELETE) or principal.has(FILES_REPLICATE)):
        raise Forbidden("The token does not grant the required scope", code="INSUFFICIENT_SCOPE",
                        details={"required": [FILES_DELETE], "missing": [FILES_DELETE]})
    return principal


FilesDeleteOrWithdraw = Annotated[
    Principal, Depends(declare_auth(_delete_or_withdraw, scopes=(FILES_DELETE,)))]


def get_ctx(request: Request) -> SEContext:
    return request.app.state.se


Ctx = Annotated[SEContext, Depends(get_ctx)]
