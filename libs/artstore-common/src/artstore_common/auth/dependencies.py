"""FastAPI dependencies: authorization shows in the endpoint signature.

    FilesWrite = Annotated[Principal, Depends(require_scopes("files:write"))]
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request

from artstore_common.auth.scopes import (
    ACCOUNTS_ADMIN,
    ACCOUNTS_READ,
    AUDIT_READ,
    FILES_DELETE,
    FILES_READ,
    FILES_REPLICATE,
    FILES_WRITE,
    KEYS_ADMIN,
    RECORDS_READ,
    RECORDS_WRITE,
    STORAGE_ADMIN,
    STORAGE_READ,
)
from artstore_common.auth.verifier import Principal, TokenVerifier
from artstore_common.errors import Forbidden, Unauthorized
from artstore_common.openapi import AUTH_ATTRIBUTE


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization")
    if not header:
        raise Unauthorized("Missing bearer token")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Authorization header must be 'Bearer <token>'")
    return token.strip()


async def authenticate(request: Request) -> Principal:
    verifier: TokenVerifier = request.app.state.token_verifier
    if verifier.revocations is None:
        verifier.revocations = getattr(request.app.state, "revocations", None)
    principal = await verifier.verify(bearer_token(request))
    request.state.principal = principal
    return principal


def require_scopes(*scopes: str) -> Callable[[Request], Awaitable[Principal]]:
    async def dependency(request: Request) -> Principal:
        principal = await authenticate(request)
        missing = [s for s in scopes if s not in principal.scopes]
        if missing:
            raise Forbidden(
                "The token does not grant the required scope",
                code="INSUFFICIENT_SCOPE",
                details={"required": list(scopes), "missing": missing},
            )
        return principal

    dependency.__name__ = "require_" + "_".join(s.replace(":", "_") for s in scopes)
    setattr(dependency, AUTH_ATTRIBUTE, {"scopes": list(scopes)})
    return dependency


def declare_auth(dependency: Callable, *, scopes: tuple[str, ...] = (),
                 principal_type: str | None = None) -> Callable:
    """Marks a hand-written auth dependency so the OpenAPI document shows its requirement."""
    setattr(dependency, AUTH_ATTRIBUTE, {"scopes": list(scopes), "principal_type": principal_type})
    return dependency


# The scope aliases every service's endpoints use; defined once here.
FilesRead = Annotated[Principal, Depends(require_scopes(FILES_READ))]
FilesWrite = Annotated[Principal, Depends(require_scopes(FILES_WRITE))]
FilesDelete = Annotated[Principal, Depends(require_scopes(FILES_DELETE))]
# Internal service-to-service file traffic (copies, provenance, withdrawing a refused upload).
FilesReplicate = Annotated[Principal, Depends(require_scopes(FILES_REPLICATE))]
StorageRead = Annotated[Principal, Depends(require_scopes(STORAGE_READ))]
StorageAdmin = Annotated[Principal, Depends(require_scopes(STORAGE_ADMIN))]
AccountsRead = Annotated[Principal, Depends(require_scopes(ACCOUNTS_READ))]
AccountsAdmin = Annotated[Principal, Depends(require_scopes(ACCOUNTS_ADMIN))]
AuditRead = Annotated[Principal, Depends(require_scopes(AUDIT_READ))]
KeysAdmin = Annotated[Principal, Depends(require_scopes(KEYS_ADMIN))]
RecordsRead = Annotated[Principal, Depends(require_scopes(RECORDS_READ))]
RecordsWrite = Annotated[Principal, Depends(require_scopes(RECORDS_WRITE))]
# Destroying a copy under an approved disposition batch: only the admin module's own token.
RecordsDispose = Annotated[Principal, Depends(require_scopes(RECORDS_WRITE, FILES_REPLICATE))]
