"""Typed request dependencies for what the lifespan built, and the scopes endpoints need.

Only what sits below every domain lives here. A domain's own objects have their aliases in
that domain (``storage_elements/context.Plane``, ``admin_users/dependencies.UsersService``,
``keys/endpoints.Keys``): importing them here would make each domain's endpoints import the
domain back through this module.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from admin_module.config import Settings
from admin_module.db import DbSession
from admin_module.security.hashing import SecretHasher
from admin_module.security.revocation import Revoker
from artstore_common.app import from_state
from artstore_common.auth import (
    AccountsAdmin,
    AccountsRead,
    AuditRead,
    FilesRead,
    KeysAdmin,
    RecordsRead,
    RecordsWrite,
    StorageAdmin,
    StorageRead,
)

__all__ = ["AccountsAdmin", "AccountsRead", "AppSettings", "AuditRead", "DbSession",
           "FilesRead", "Hasher", "KeysAdmin", "RecordsRead", "RecordsWrite", "Revocations",
           "Sessions", "StorageAdmin", "StorageRead"]

AppSettings = Annotated[Settings, Depends(from_state("settings"))]
Sessions = Annotated[async_sessionmaker[AsyncSession], Depends(from_state("sessionmaker"))]
Hasher = Annotated[SecretHasher, Depends(from_state("hasher"))]
Revocations = Annotated[Revoker, Depends(from_state("revoker"))]
