"""Which copy of a file the catalog row mirrors.

The stream is at-least-once and may be re-ordered (reclaimed messages, a re-index running beside
the consumer), and finalize copies a file to another SE under the same ``file_id``. So a change
is applied only when it is not older than what the row holds, and a copy on another SE takes
the row over only when it is clearly the live one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID


class Outcome(StrEnum):
    APPLIED = "applied"
    STALE = "stale"  # older than (or the same as) what the row holds
    IGNORED = "ignored"  # another SE's copy that does not own the row
    INVALID = "invalid"


@dataclass(frozen=True)
class CopyVersion:
    storage_element_id: UUID
    status: str
    updated_at: datetime
    event_at: datetime
    finalized: bool

    @property
    def order(self) -> tuple[datetime, datetime]:
        return (self.updated_at, self.event_at)


def upsert_outcome(current: CopyVersion | None, incoming: CopyVersion) -> Outcome:
    if current is None:
        return Outcome.APPLIED
    if incoming.storage_element_id == current.storage_element_id:
        # Equal order is the same version (a replay, or a listing of what an event brought).
        return Outcome.APPLIED if incoming.order > current.order else Outcome.STALE
    current_dead = current.status == "deleted"
    incoming_dead = incoming.status == "deleted"
    if current_dead != incoming_dead:
        # A live copy anywhere beats a deleted one; a deleted copy never kills a live one.
        return Outcome.IGNORED if incoming_dead else Outcome.APPLIED
    if incoming.finalized != current.finalized:
        # A finalized source (edit SE, awaiting removal) yields to its copy on the rw SE.
        return Outcome.IGNORED if incoming.finalized else Outcome.APPLIED
    return Outcome.APPLIED if incoming.order > current.order else Outcome.IGNORED


def delete_outcome(current: CopyVersion | None, storage_element_id: UUID) -> Outcome:
    """A delete from an SE that no longer owns the row never removes it."""
    if current is None:
        return Outcome.IGNORED
    if current.storage_element_id != storage_element_id:
        return Outcome.IGNORED
    if current.status == "deleted":
        return Outcome.STALE
    return Outcome.APPLIED
