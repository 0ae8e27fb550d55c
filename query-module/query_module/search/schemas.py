"""Search parameters: one model for the query string (GET) and the JSON body (POST)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)

from artstore_common.contracts import FileStatus, Mode, RetentionPolicy
from artstore_common.pagination import MAX_LIMIT
from artstore_common.validation import INT64_MAX, IsoDateTime, SafeStr, StrictInt

SearchMode = Literal["fulltext", "partial", "exact"]
SortField = Literal["relevance", "created_at", "size", "name"]
SortOrder = Literal["asc", "desc"]

_LIST_FIELDS = ("content_type", "extension", "tags", "status", "storage_element_id", "se_mode",
                "retention_class")
_RANGES = (
    ("size_min", "size_max"),
    ("created_from", "created_to"),
    ("expires_from", "expires_to"),
    ("retain_until_from", "retain_until_to"),
)


class SearchParams(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    q: SafeStr | None = Field(default=None, max_length=500)
    mode: SearchMode = "fulltext"
    content_type: list[SafeStr] = Field(default_factory=list, max_length=50)
    extension: list[SafeStr] = Field(default_factory=list, max_length=50)
    tags: list[SafeStr] = Field(default_factory=list, max_length=50)
    uploaded_by: SafeStr | None = Field(default=None, max_length=255)
    size_min: StrictInt | None = Field(default=None, ge=0, le=INT64_MAX)
    size_max: StrictInt | None = Field(default=None, ge=0, le=INT64_MAX)
    created_from: IsoDateTime | None = None
    created_to: IsoDateTime | None = None
    retention_policy: RetentionPolicy | None = None
    status: list[FileStatus] = Field(default_factory=list)
    expires_from: IsoDateTime | None = None
    expires_to: IsoDateTime | None = None
    on_hold: bool | None = None
    legal_hold: UUID | None = None  # files under this hold
    retain_until_from: IsoDateTime | None = None
    retain_until_to: IsoDateTime | None = None
    retention_class: list[SafeStr] = Field(default_factory=list, max_length=50)
    storage_element_id: list[UUID] = Field(default_factory=list, max_length=100)
    se_mode: list[Mode] = Field(default_factory=list)
    sort: SortField | None = None
    order: SortOrder | None = None
    facets: bool = False
    limit: StrictInt = Field(default=50, ge=1, le=MAX_LIMIT)
    offset: StrictInt = Field(default=0, ge=0, le=1_000_000)
    # The tsqueries of q (matching, highlighting), evaluated once by the search service.
    _tsqueries: tuple[str, str] | None = PrivateAttr(default=None)

    # Partial mode found no substring: match names by similarity instead (set by the service).
    _fuzzy: bool = PrivateAttr(default=False)

    @property
    def fuzzy(self) -> bool:
        return self._fuzzy

    def folded_tsquery(self, forms: bool) -> str | None:
        return None if self._tsqueries is None else self._tsqueries[1 if forms else 0]

    @field_validator(*_LIST_FIELDS, mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("content_type", "extension", "tags", "retention_class")
    @classmethod
    def _bounded_strings(cls, values: list[str]) -> list[str]:
        for value in values:
            if not value or len(value) > 255:
                raise ValueError("values must be 1-255 characters")
        return values

    @field_validator("created_from", "created_to", "expires_from", "expires_to",
                     "retain_until_from", "retain_until_to")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    @field_validator("q")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value or None

    @model_validator(mode="after")
    def _ranges_ordered(self) -> SearchParams:
        for low, high in _RANGES:
            lo, hi = getattr(self, low), getattr(self, high)
            if lo is not None and hi is not None and lo > hi:
                raise ValueError(f"{low} must not be greater than {high}")
        return self

    @property
    def effective_sort(self) -> SortField:
        if self.sort == "relevance" or self.sort is None:
            return "relevance" if self.q and self.mode != "exact" else "created_at"
        return self.sort

    @property
    def effective_order(self) -> SortOrder:
        if self.order:
            return self.order
        return "asc" if self.effective_sort == "name" else "desc"
