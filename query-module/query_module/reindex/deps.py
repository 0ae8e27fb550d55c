"""Typed request dependency for the re-indexer (built by the lifespan)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from artstore_common.app import from_state
from query_module.reindex.service import Reindexer

Reindex = Annotated[Reindexer, Depends(from_state("reindexer"))]
