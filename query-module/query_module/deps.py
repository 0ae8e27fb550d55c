"""Typed request dependencies for what the lifespan built, and the scopes endpoints need.

A domain's own services have their aliases in ``<domain>/deps.py`` (``files/deps.py``,
``reindex/deps.py``): importing them here would make every domain's endpoints import the
domains back through this module.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from artstore_common.access import AccessTrail
from artstore_common.app import from_state
from artstore_common.auth import FilesRead, StorageAdmin
from artstore_common.db import DbSession
from artstore_common.discovery import DiscoveryClient
from query_module.cache import MetadataCache
from query_module.config import Settings

__all__ = ["AppSettings", "Cache", "DbSession", "Discovery", "FilesRead", "Sessions",
           "StorageAdmin", "Trail"]

AppSettings = Annotated[Settings, Depends(from_state("settings"))]
Sessions = Annotated[async_sessionmaker[AsyncSession], Depends(from_state("sessionmaker"))]
Discovery = Annotated[DiscoveryClient, Depends(from_state("discovery"))]
Cache = Annotated[MetadataCache, Depends(from_state("metadata_cache"))]
Trail = Annotated[AccessTrail, Depends(from_state("access_trail"))]
