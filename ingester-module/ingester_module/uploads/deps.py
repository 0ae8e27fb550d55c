"""Typed request dependency for the upload service (built by the lifespan)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from artstore_common.app import from_state
from ingester_module.uploads.service import IngestService

Ingest = Annotated[IngestService, Depends(from_state("ingest_service"))]
