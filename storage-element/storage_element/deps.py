"""Request dependencies: the SE context and the scopes each endpoint needs."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from artstore_common.app import from_state
from artstore_common.auth import (
    FilesDelete,
    FilesRead,
    FilesReplicate,
    FilesWrite,
    RecordsDispose,
    RecordsWrite,
    StorageAdmin,
    StorageRead,
)
from storage_element.context import SEContext

__all__ = ["Ctx", "FilesDelete", "FilesRead", "FilesReplicate", "FilesWrite", "RecordsDispose",
           "RecordsWrite", "StorageAdmin", "StorageRead"]


Ctx = Annotated[SEContext, Depends(from_state("se"))]
