from artstore_common.auth.dependencies import (
    AccountsAdmin,
    AccountsRead,
    AuditRead,
    FilesDelete,
    FilesRead,
    FilesWrite,
    KeysAdmin,
    StorageAdmin,
    StorageRead,
    authenticate,
    bearer_token,
    require_scopes,
)
from artstore_common.auth.revocation import RevocationList
from artstore_common.auth.scopes import ROLE_SCOPES, effective_scopes, scopes_for_role
from artstore_common.auth.verifier import (
    InvalidToken,
    Principal,
    TokenExpired,
    TokenRevoked,
    TokenVerifier,
)

__all__ = [
    "AccountsAdmin",
    "AccountsRead",
    "AuditRead",
    "FilesDelete",
    "FilesRead",
    "FilesWrite",
    "KeysAdmin",
    "StorageAdmin",
    "StorageRead",
    "ROLE_SCOPES",
    "InvalidToken",
    "Principal",
    "RevocationList",
    "TokenExpired",
    "TokenRevoked",
    "TokenVerifier",
    "authenticate",
    "bearer_token",
    "effective_scopes",
    "require_scopes",
    "scopes_for_role",
]
