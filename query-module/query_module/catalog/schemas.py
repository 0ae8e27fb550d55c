"""What clients see of a catalog row (the SE's address is never part of it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self
from uuid import UUID

from pydantic import BaseModel

from artstore_common.contracts import Mode, Uploader
from query_module.models import CatalogCopy, CatalogFile


class CopyRead(BaseModel):
    """One copy of the file: which SE (never its address), its state, when last verified."""

    storage_element_id: UUID
    # active | expected (in the copy set, not reported by that SE) | quarantined (failed
    # fixity on its SE, not served) | deleted
    state: str
    last_verified_at: datetime | None = None


class TextExtraction(BaseModel):
    """State of the file's text extraction: pending|done|failed|skipped, and why."""

    state: str = "pending"
    reason: str | None = None


class FileRead(BaseModel):
    file_id: UUID
    original_filename: str
    extension: str
    size: int
    content_type: str
    sha256: str
    created_at: datetime
    updated_at: datetime
    uploaded_by: Uploader
    description: str | None = None
    version: str | None = None
    tags: list[str]
    retention_policy: str
    ttl_days: int | None = None
    expires_at: datetime | None = None
    status: str
    compressed: bool
    compression_algorithm: str | None = None
    stored_size: int | None = None
    custom: dict[str, Any]
    finalized_at: datetime | None = None
    last_verified_at: datetime | None = None
    legal_holds: list[UUID] = []
    retain_until: datetime | None = None
    retention_class: str | None = None
    storage_element_id: UUID
    storage_element_mode: Mode | None = None
    copies: list[CopyRead] = []
    text_extraction: TextExtraction = TextExtraction()

    @classmethod
    def from_row(cls, row: CatalogFile, copies: list[CatalogCopy] | None = None) -> Self:
        return cls(
            file_id=row.file_id,
            original_filename=row.original_filename,
            extension=row.extension,
            size=row.size,
            content_type=row.content_type,
            sha256=row.sha256,
            created_at=row.created_at,
            updated_at=row.updated_at,
            uploaded_by=Uploader(id=row.uploaded_by_id, name=row.uploaded_by_name),
            description=row.description,
            version=row.version,
            tags=list(row.tags or []),
            retention_policy=row.retention_policy,
            ttl_days=row.ttl_days,
            expires_at=row.expires_at,
            status=row.status,
            compressed=row.compression_algorithm is not None,
            compression_algorithm=row.compression_algorithm,
            stored_size=row.stored_size,
            custom=dict(row.custom or {}),
            finalized_at=row.finalized_at,
            last_verified_at=row.last_verified_at,
            legal_holds=list(row.legal_holds or []),
            retain_until=row.retain_until,
            retention_class=row.retention_class,
            storage_element_id=row.storage_element_id,
            copies=[CopyRead(storage_element_id=c.storage_element_id, state=c.state,
                             last_verified_at=c.last_verified_at) for c in copies or []],
            text_extraction=TextExtraction(state=row.text_state or "pending",
                                           reason=row.text_reason),
        )


class SearchHit(FileRead):
    rank: float | None = None
    highlights: dict[str, str] | None = None
    # A passage of the document's text with the matched words in <mark> (HTML-escaped).
    snippet: str | None = None


class FacetValue(BaseModel):
    value: str
    count: int


class SearchPage(BaseModel):
    items: list[SearchHit]
    total: int
    limit: int
    offset: int
    facets: dict[str, list[FacetValue]] | None = None
    # False when more rows matched than SEARCH_EXACT_TOTAL_LIMIT: total is then a lower bound.
    total_exact: bool = True
    # Set when facets were counted over a sample of the matches (its size), not all of them.
    facets_sample: int | None = None


class FileText(BaseModel):
    """The text extracted from a file (a derived artefact), for previews."""

    file_id: UUID
    text_extraction: TextExtraction
    method: str | None = None  # text layer, office, ocr, plain…
    pages: int | None = None
    extracted_at: datetime
    length: int  # characters of the whole extracted text
    truncated: bool  # content holds only the first max_chars characters
    content: str
