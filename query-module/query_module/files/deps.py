"""Typed request dependencies for the files domain's services (built by the lifespan)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from artstore_common.app import from_state
from query_module.files.download import Downloader
from query_module.files.lookup import CatalogMissLookup
from query_module.files.thumbnail import Thumbnails

Download = Annotated[Downloader, Depends(from_state("downloader"))]
Lookup = Annotated[CatalogMissLookup, Depends(from_state("catalog_lookup"))]
Thumbs = Annotated[Thumbnails, Depends(from_state("thumbnails"))]
