"""Writing the audit log. Any module records an event with::

    await audit.record(session, action="storage_element.mode_changed", actor=principal.name,
                       resource_type="storage_element", resource_id=str(se.id),
                       outcome="success", details={...})

The row joins the request's transaction: it commits with the change it describes, or not at all.
The chain head row is locked FOR UPDATE until that commit, so concurrent writers (also across
several admin instances) append one after another and the chain cannot fork. Call ``record`` as
late as possible in a request to keep that lock short.
"""

from __future__ import annotations

import hmac
import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from admin_module.audit import repository
from admin_module.audit.chain import (
    ChainWalker,
    VerifyResult,
    checkpoint_signature,
    compute_mac,
    normalize_details,
)
from admin_module.metrics import AUDIT_CHAIN_VALID, AUDIT_VERIFICATIONS
from admin_module.models.audit import GENESIS_MAC, AuditCheckpoint, AuditEvent
from admin_module.models.base import utcnow

log = structlog.get_logger(__name__)

OUTCOMES = ("success", "failure", "denied")
# The client address of the request being served: a file's entries say from where.
_source: ContextVar[str | None] = ContextVar("audit_source", default=None)


class SourceAddress:
    """ASGI middleware: remembers the caller's address for ``record``."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        token = _source.set((scope.get("client") or (None,))[0])
        try:
            await self.app(scope, receive, send)
        finally:
            _source.reset(token)
SECRET_INFO_KEY = "audit_hmac_secret"


def hmac_secret(session: AsyncSession) -> bytes:
    """The chain key travels in ``session.info`` (set on the sessionmaker at startup)."""
    secret = session.info.get(SECRET_INFO_KEY)
    if not secret:
        raise RuntimeError("the session has no audit HMAC secret (see db.create_sessionmaker)")
    return secret


async def record(
    session: AsyncSession,
    *,
    action: str,
    actor: str | None,
    resource_type: str | None = None,
    resource_id: Any = None,
    outcome: str = "success",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    return (await record_many(session, [Entry(action, actor, resource_type, resource_id,
                                              outcome, details)]))[0]


@dataclass
class Entry:
    action: str
    actor: str | None
    resource_type: str | None = None
    resource_id: Any = None
    outcome: str = "success"
    details: dict[str, Any] | None = None


async def record_many(session: AsyncSession, entries: list[Entry]) -> list[AuditEvent]:
    """Append several entries under one head lock and one flush (the access trail's batches)."""
    for e in entries:
        if e.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}")
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    source = _source.get()
    head = await repository.lock_head(session)
    secret = hmac_secret(session)
    events = []
    for e in entries:
        details = e.details
        if e.resource_type == "file" and source is not None:
            details = {"source": source, **(details or {})}
        event = AuditEvent(
            id=uuid.uuid4(),
            seq=head.last_seq + 1,
            created_at=utcnow(),
            action=e.action,
            actor=e.actor,
            resource_type=e.resource_type,
            resource_id=None if e.resource_id is None else str(e.resource_id),
            outcome=e.outcome,
            details=normalize_details(details),
            request_id=request_id,
            prev_mac=head.last_mac,
            mac="",
        )
        event.mac = compute_mac(secret, event)
        head.last_seq, head.last_mac = event.seq, event.mac
        events.append(event)
    session.add_all(events)
    await session.flush()
    for event in events:
        log.info("audit.recorded", action=event.action, outcome=event.outcome,
                 resource_type=event.resource_type, resource_id=event.resource_id,
                 seq=event.seq)
    return events


async def list_events(
    session: AsyncSession, f: repository.AuditFilter, limit: int, offset: int,
    oldest_first: bool = False,
) -> tuple[list[AuditEvent], int]:
    return await repository.list_events(session, f, limit, offset, oldest_first)


CHECKPOINT_EVERY = 10_000
# A full walk that found the chain broken keeps the gauge at 0 until a full walk passes: a
# checkpointed walk cannot see a row edited before its starting checkpoint.
_full_walk_broken = False


async def verify_chain(
    session: AsyncSession, *, mode: Literal["full", "checkpoint"] = "full",
    from_seq: int | None = None, to_seq: int | None = None,
    checkpoint_every: int = CHECKPOINT_EVERY,
) -> VerifyResult:
    """``full``: from the retention anchor to the head, every checkpoint on the way compared
    with its row. ``checkpoint``: from the newest checkpoint (its signature checked) to the head.
    A range (``from_seq``/``to_seq``): from the newest checkpoint before ``from_seq``.
    Rows appended while we walk lie beyond the head read first and are not part of the check.
    The walk leaves a signed checkpoint at every ``checkpoint_every``-th row it found intact
    and, when it reached the head intact, at the head: where the next walk may start."""
    global _full_walk_broken
    head = await repository.read_head(session)
    if head is None:
        head_seq, head_mac, anchor_seq, anchor_mac = 0, GENESIS_MAC, 0, GENESIS_MAC
    else:
        head_seq, head_mac = head.last_seq, head.last_mac
        anchor_seq, anchor_mac = head.anchor_seq, head.anchor_mac
    secret = hmac_secret(session)
    ranged = from_seq is not None or to_seq is not None
    end_seq = head_seq if to_seq is None else min(to_seq, head_seq)
    start_seq, start_mac = anchor_seq, anchor_mac
    result: VerifyResult | None = None
    if ranged or mode == "checkpoint":
        before = head_seq if not ranged else max((from_seq or 1) - 1, anchor_seq)
        start = await repository.checkpoint_at_or_before(session, before, anchor_seq)
        if start is not None:
            if not _signed(secret, start):
                result = VerifyResult(False, 0, None, start.seq,
                                      "the checkpoint is not signed by the chain key")
            start_seq, start_mac = start.seq, start.mac
    marks = {cp.seq: (cp.mac if _signed(secret, cp) else None)
             for cp in await repository.checkpoints_between(session, start_seq, end_seq)}
    walker = ChainWalker(secret, anchor_seq=start_seq, anchor_mac=start_mac, checkpoints=marks)
    new_marks: list[dict] = []
    if result is None:
        async for row in repository.iter_chain(session, end_seq, after_seq=start_seq):
            if (result := walker.add(row)) is not None:
                break
            if row.seq % checkpoint_every == 0 and row.seq not in marks:
                new_marks.append(_checkpoint(secret, row.seq, row.mac))
        if result is None:
            result = walker.finish(end_seq, head_mac if end_seq == head_seq else None)
            if result.valid and not ranged and end_seq > start_seq and end_seq not in marks:
                new_marks.append(_checkpoint(secret, end_seq, walker.expected_prev))
    await repository.add_checkpoints(session, new_marks)
    await session.flush()
    result.mode = "range" if ranged else mode
    result.start_seq, result.end_seq = start_seq, end_seq
    result.checkpoints_checked = walker.checkpoints_checked
    AUDIT_VERIFICATIONS.labels("valid" if result.valid else "broken").inc()
    if result.mode == "full":
        _full_walk_broken = not result.valid
    AUDIT_CHAIN_VALID.set(1 if result.valid and not _full_walk_broken else 0)
    if not result.valid:
        log.error("audit.chain_broken", position=result.position, row_id=result.first_broken_id,
                  reason=result.reason, mode=result.mode)
    return result


def _signed(secret: bytes, cp: AuditCheckpoint) -> bool:
    return hmac.compare_digest(
        checkpoint_signature(secret, cp.seq, cp.mac, cp.created_at), cp.signature)


def _checkpoint(secret: bytes, seq: int, mac: str) -> dict:
    created_at = utcnow()
    return {"seq": seq, "mac": mac, "created_at": created_at,
            "signature": checkpoint_signature(secret, seq, mac, created_at)}


async def prune(session: AsyncSession, retention_days: int) -> int:
    """Delete rows older than the retention period and move the anchor past them, so the rest
    of the chain still verifies. The removal itself is audited."""
    head = await repository.lock_head(session)
    cutoff = utcnow() - timedelta(days=retention_days)
    last = await repository.last_row_before(session, cutoff)
    if last is None or last.seq <= head.anchor_seq:
        return 0
    anchor_seq, anchor_mac = last.seq, last.mac
    removed = await repository.delete_through(session, anchor_seq)
    await repository.delete_checkpoints_through(session, anchor_seq)
    head.anchor_seq, head.anchor_mac = anchor_seq, anchor_mac
    await session.flush()
    await record(session, action="audit.pruned", actor="system", resource_type="audit_log",
                 outcome="success", details={"through_seq": anchor_seq, "removed": removed,
                                             "retention_days": retention_days})
    return removed
