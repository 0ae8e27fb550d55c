"""Records governance on a file's sidecar (``records:write``): legal holds and retain_until.

The sidecar is the truth, so a catalog or SE index rebuilt from sidecars keeps both. A hold is
the admin module's hold id; placing or releasing it twice changes nothing. ``retain_until``
only ever moves later (``409 RETAIN_UNTIL_EARLIER``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import structlog
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from artstore_common.contracts import MAX_LEGAL_HOLDS
from artstore_common.validation import SafeStr
from storage_element.context import SEContext
from storage_element.errors import InvalidAttributes, RetainUntilEarlier, StorageElementReadOnly
from storage_element.files import service
from storage_element.modes import WRITABLE

log = structlog.get_logger(__name__)


class RetainUntil(BaseModel):
    """A class whose period runs from an event not yet recorded comes without a date."""

    model_config = ConfigDict(extra="forbid")
    retain_until: AwareDatetime | None = None
    retention_class: SafeStr | None = Field(default=None, min_length=1, max_length=200)

    @model_validator(mode="after")
    def something(self) -> RetainUntil:
        if self.retain_until is None and self.retention_class is None:
            raise ValueError("give retain_until, retention_class or both")
        return self


async def _change(ctx: SEContext, file_id: uuid.UUID, what: str, change) -> dict[str, Any]:
    if ctx.modes.mode not in WRITABLE:
        raise StorageElementReadOnly(details={"mode": ctx.modes.mode})
    with ctx.claim(file_id):
        row = await service.load(ctx, file_id)
        attrs = dict(row.attrs)
        if change(attrs):
            await service.write_attributes(ctx, row, attrs)
            ctx.relay.notify()
            log.info("file.records_changed", file_id=str(file_id), change=what)
            row = await service.load(ctx, file_id)
    return service.present(row, ctx.se_id)


async def place_hold(ctx: SEContext, file_id: uuid.UUID, hold_id: uuid.UUID) -> dict[str, Any]:
    def change(attrs: dict[str, Any]) -> bool:
        holds = list(attrs.get("legal_holds") or [])
        if str(hold_id) in holds:
            return False
        if len(holds) >= MAX_LEGAL_HOLDS:
            raise InvalidAttributes(f"A file carries at most {MAX_LEGAL_HOLDS} legal holds",
                                    code="TOO_MANY_HOLDS", details={"file_id": str(file_id)})
        attrs["legal_holds"] = [*holds, str(hold_id)]
        return True

    return await _change(ctx, file_id, f"hold {hold_id}", change)


async def release_hold(ctx: SEContext, file_id: uuid.UUID, hold_id: uuid.UUID
                       ) -> dict[str, Any]:
    def change(attrs: dict[str, Any]) -> bool:
        holds = list(attrs.get("legal_holds") or [])
        if str(hold_id) not in holds:
            return False
        attrs["legal_holds"] = [h for h in holds if h != str(hold_id)]
        return True

    return await _change(ctx, file_id, f"release {hold_id}", change)


async def set_retain_until(ctx: SEContext, file_id: uuid.UUID, value: datetime | None,
                           retention_class: str | None = None) -> dict[str, Any]:
    def change(attrs: dict[str, Any]) -> bool:
        changed = False
        if retention_class is not None and attrs.get("retention_class") != retention_class:
            attrs["retention_class"] = retention_class
            changed = True
        if value is None:
            return changed
        current = attrs.get("retain_until")
        if current is not None:
            current_at = datetime.fromisoformat(current)
            if value < current_at:
                raise RetainUntilEarlier(details={"file_id": str(file_id),
                                                  "retain_until": current,
                                                  "requested": value.isoformat()})
            if value == current_at:
                return changed
        attrs["retain_until"] = value.isoformat()
        return True

    return await _change(ctx, file_id, "retain_until", change)
