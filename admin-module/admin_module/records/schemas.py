from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from artstore_common.validation import SafeStr


class HoldCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: SafeStr = Field(min_length=1, max_length=200)
    reason: SafeStr = Field(min_length=1, max_length=4000)
    owner: SafeStr | None = Field(default=None, min_length=1, max_length=256)


class HoldRelease(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: SafeStr = Field(min_length=1, max_length=4000)


class HoldPlacement(BaseModel):
    """Files one by one, every file carrying a tag, or every file one of the caller's saved
    searches finds (exactly one of the three)."""

    model_config = ConfigDict(extra="forbid")
    file_ids: list[uuid.UUID] | None = Field(default=None, min_length=1, max_length=1000)
    tag: SafeStr | None = Field(default=None, min_length=1, max_length=100)
    saved_search_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def one_selector(self) -> HoldPlacement:
        if [self.file_ids, self.tag, self.saved_search_id].count(None) != 2:
            raise ValueError("give exactly one of file_ids, tag or saved_search_id")
        return self


class HoldRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    reason: str
    owner: str
    created_by: str | None
    created_at: datetime
    released_at: datetime | None
    released_by: str | None
    release_reason: str | None
    status: str = "active"
    file_count: int = 0


class HoldFileRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    file_id: uuid.UUID
    placed_at: datetime
    placed_by: str | None


class PlacementResult(BaseModel):
    placed: list[uuid.UUID]
    not_found: list[uuid.UUID]
    failed: list[dict]


class RetainUntilChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    retain_until: AwareDatetime


class ScheduleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: SafeStr = Field(min_length=1, max_length=200)
    description: SafeStr | None = Field(default=None, max_length=2000)
    period_days: int = Field(ge=1, le=36_500, strict=True)
    trigger: Literal["upload", "metadata_date", "event"]
    date_field: SafeStr | None = Field(default=None, min_length=1, max_length=128)
    action: Literal["review", "destroy"]

    @model_validator(mode="after")
    def field_for_metadata_trigger(self) -> ScheduleCreate:
        if (self.trigger == "metadata_date") != (self.date_field is not None):
            raise ValueError("date_field is required for trigger metadata_date, and only then")
        return self


class ScheduleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    description: str | None
    period_days: int
    trigger: str
    date_field: str | None
    action: str
    created_by: str | None
    created_at: datetime


class ClassAssignment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    schedule: SafeStr = Field(min_length=1, max_length=200)


class ClassAssigned(BaseModel):
    """``retain_until`` is null for an ``event`` class until its event is recorded."""

    schedule: str
    action: str
    retain_until: datetime | None


class RetentionEvent(BaseModel):
    """The event an ``event`` class counts from (a plain date: the end of that day, UTC)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    when: date | AwareDatetime = Field(alias="date")

    @field_validator("when", mode="before")
    @classmethod
    def _date_or_zoned(cls, value: Any) -> Any:
        # A date-time must carry its zone; lax date parsing would take a naive midnight.
        if isinstance(value, str) and len(value) > 10:
            parsed = datetime.fromisoformat(value)
            if parsed.tzinfo is None:
                raise ValueError("a date-time needs a time zone (e.g. Z)")
            return parsed
        return value
