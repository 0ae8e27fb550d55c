"""One permission model for every service: roles map to scopes; an unknown role grants nothing.

Service-account roles are upper case (``ADMIN``, ``USER``, ``AUDITOR``, ``READONLY``); admin-user
roles are lower case (``super_admin``, ``admin``, ``readonly``, ``records_manager``,
``auditor``). Matching is exact.
"""

from __future__ import annotations

from collections.abc import Iterable

FILES_READ = "files:read"
FILES_WRITE = "files:write"
FILES_DELETE = "files:delete"
STORAGE_READ = "storage:read"
STORAGE_ADMIN = "storage:admin"
ACCOUNTS_READ = "accounts:read"
ACCOUNTS_ADMIN = "accounts:admin"
AUDIT_READ = "audit:read"
KEYS_ADMIN = "keys:admin"
# Records governance (issue 15): read holds / place and release them, move retain_until later.
RECORDS_READ = "records:read"
RECORDS_WRITE = "records:write"
# The internal service scope: writing a file with its provenance (``uploaded_by``,
# ``created_at``, ``expires_at``, copy set) — finalize, replication, repair. Holding it is what
# makes a principal "internal". No end-user role grants it: only the ``SERVICE`` role (the
# ingester's own account), the ``is_system`` account's tokens and the admin module's own token.
FILES_REPLICATE = "files:replicate"
INTERNAL_SCOPES: frozenset[str] = frozenset({FILES_REPLICATE})

ALL_SCOPES: frozenset[str] = frozenset(
    {
        FILES_READ,
        FILES_WRITE,
        FILES_DELETE,
        STORAGE_READ,
        STORAGE_ADMIN,
        ACCOUNTS_READ,
        ACCOUNTS_ADMIN,
        AUDIT_READ,
        KEYS_ADMIN,
        RECORDS_READ,
        RECORDS_WRITE,
    }
)

ROLE_SCOPES: dict[str, frozenset[str]] = {
    # service accounts
    "ADMIN": ALL_SCOPES,
    "USER": frozenset({FILES_READ, FILES_WRITE}),
    "AUDITOR": frozenset({FILES_READ, AUDIT_READ, RECORDS_READ}),  # reads, changes nothing
    "RECORDS_MANAGER": frozenset({FILES_READ, AUDIT_READ, RECORDS_READ, RECORDS_WRITE}),
    "READONLY": frozenset({FILES_READ}),
    # internal service accounts (the ingester): write files and their copies
    "SERVICE": frozenset({FILES_READ, FILES_WRITE, FILES_REPLICATE}),
    # the admin module's own token (minted internally, never given to an account)
    "SYSTEM": ALL_SCOPES | {FILES_REPLICATE},
    # admin users (people using the UI)
    "super_admin": ALL_SCOPES,
    "admin": frozenset(
        {
            FILES_READ,
            FILES_WRITE,
            FILES_DELETE,
            STORAGE_READ,
            STORAGE_ADMIN,
            ACCOUNTS_READ,
            AUDIT_READ,
            RECORDS_READ,
        }
    ),
    "readonly": frozenset({FILES_READ, STORAGE_READ, ACCOUNTS_READ}),
    # people who keep the records (retention, holds) and who check them, in the UI
    "records_manager": frozenset({FILES_READ, AUDIT_READ, RECORDS_READ, RECORDS_WRITE}),
    "auditor": frozenset({FILES_READ, AUDIT_READ, RECORDS_READ}),
}

SERVICE_ACCOUNT_ROLES = ("ADMIN", "USER", "AUDITOR", "READONLY", "SERVICE", "RECORDS_MANAGER")
ADMIN_USER_ROLES = ("super_admin", "admin", "readonly", "records_manager", "auditor")


def scopes_for_role(role: str | None) -> frozenset[str]:
    if not isinstance(role, str):
        return frozenset()
    return ROLE_SCOPES.get(role, frozenset())


def effective_scopes(role: str | None, claimed: Iterable[str] | str | None) -> frozenset[str]:
    """Scopes a token really grants: what its role allows, narrowed by its ``scope`` claim;
    internal scopes only when the (signed) claim names them."""
    allowed = scopes_for_role(role)
    if claimed is None:
        return allowed
    if isinstance(claimed, str):
        claimed = claimed.split()
    return (allowed | INTERNAL_SCOPES) & frozenset(claimed)


def is_internal(scopes: Iterable[str]) -> bool:
    """True for a principal that holds an internal service scope."""
    return not INTERNAL_SCOPES.isdisjoint(scopes)


def may_change_file(scopes: Iterable[str], subject: str, owner_id: str | None) -> bool:
    """Files belong to the account that uploaded them: it may edit, finalize and delete them;
    so may ``storage:admin`` holders (ADMIN, super_admin, admin) and internal services."""
    granted = frozenset(scopes)
    return STORAGE_ADMIN in granted or is_internal(granted) or (
        owner_id is not None and owner_id == subject)
