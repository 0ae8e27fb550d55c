"""All SQL of the storage element: index rows, WAL records, outbox rows."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, func, literal, select, tuple_, update
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage_element import sidecar
from storage_element.models import FileRow, OutboxRow, WalRow
from storage_element.naming import now_utc


def parse_dt(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def row_values(attrs: dict[str, Any], storage_path: str) -> dict[str, Any]:
    return {
        "file_id": uuid.UUID(str(attrs["file_id"])),
        "storage_path": storage_path,
        "attrs": attrs,
        "size": int(attrs["size"]),
        "stored_size": sidecar.stored_size(attrs),
        "sha256": attrs["sha256"],
        "status": attrs.get("status", "active"),
        "retention_policy": attrs["retention_policy"],
        "created_at": parse_dt(attrs["created_at"]),
        "updated_at": parse_dt(attrs["updated_at"]),
        "expires_at": parse_dt(attrs.get("expires_at")),
    }


def _upsert(attrs: dict[str, Any], storage_path: str):
    values = row_values(attrs, storage_path)
    stmt = insert(FileRow).values(**values)
    keep = {k: stmt.excluded[k] for k in values if k != "file_id"}
    return stmt.on_conflict_do_update(index_elements=["file_id"], set_=keep)


async def upsert_file(session: AsyncSession, attrs: dict[str, Any], storage_path: str) -> None:
    await session.execute(_upsert(attrs, storage_path))


async def get_file(session: AsyncSession, file_id: uuid.UUID) -> FileRow | None:
    return await session.get(FileRow, file_id)


async def delete_file(session: AsyncSession, file_id: uuid.UUID) -> None:
    await session.execute(delete(FileRow).where(FileRow.file_id == file_id))


async def delete_files(session: AsyncSession, file_ids: list[uuid.UUID]) -> None:
    await session.execute(delete(FileRow).where(FileRow.file_id.in_(file_ids)))


async def usage(session: AsyncSession) -> tuple[int, int]:
    row = (await session.execute(
        select(func.coalesce(func.sum(FileRow.stored_size), 0), func.count())
    )).one()
    return int(row[0]), int(row[1])


async def list_files(
    session: AsyncSession, *, changed_since: datetime | None, after: tuple[datetime, uuid.UUID]
    | None, expires_before: datetime | None, status: str | None, limit: int,
) -> tuple[list[FileRow], int]:
    filters = []
    if changed_since is not None:
        filters.append(FileRow.updated_at >= changed_since)
    if expires_before is not None:
        filters.append(FileRow.expires_at < expires_before)
    if status is not None:
        filters.append(FileRow.status == status)
    total = (await session.execute(select(func.count()).select_from(FileRow).where(*filters)))
    query = select(FileRow).where(*filters)
    if after is not None:
        query = query.where(tuple_(FileRow.updated_at, FileRow.file_id) > tuple_(*after))
    query = query.order_by(FileRow.updated_at, FileRow.file_id).limit(limit)
    rows = list((await session.execute(query)).scalars())
    return rows, int(total.scalar_one())


async def mark_fixity(
    session: AsyncSession, file_id: uuid.UUID, outcome: str, *, quarantine: bool
) -> None:
    values: dict[str, Any] = {"last_verified_at": now_utc(), "fixity_status": outcome}
    if quarantine:
        values["quarantined_at"] = now_utc()
    await session.execute(update(FileRow).where(FileRow.file_id == file_id).values(**values))


async def clear_quarantine(session: AsyncSession, file_id: uuid.UUID) -> None:
    """A quarantined copy rewritten with verified bytes."""
    await session.execute(update(FileRow).where(FileRow.file_id == file_id).values(
        quarantined_at=None, fixity_status="repaired", last_verified_at=now_utc()))


async def fixity_summary(session: AsyncSession) -> dict[str, Any]:
    """Counts for the dashboard: verified (last check ok), quarantined, never verified."""
    row = (await session.execute(select(
        func.count(),
        func.count().filter((FileRow.quarantined_at.is_(None))
                            & FileRow.fixity_status.in_(("ok", "repaired"))),
        func.count().filter(FileRow.quarantined_at.is_not(None)),
        func.count().filter(FileRow.last_verified_at.is_(None)),
        func.max(FileRow.last_verified_at),
    ))).one()
    return {"files": row[0], "verified": row[1], "quarantined": row[2],
            "never_verified": row[3], "last_verified_at": row[4]}


async def fixity_candidates(session: AsyncSession, verified_before: datetime, limit: int):
    query = (
        select(FileRow)
        .where((FileRow.last_verified_at.is_(None)) | (FileRow.last_verified_at < verified_before))
        .where(FileRow.quarantined_at.is_(None))
        .order_by(FileRow.last_verified_at.asc().nullsfirst(), FileRow.file_id)
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())


async def all_files(session: AsyncSession) -> list[FileRow]:
    return list((await session.execute(select(FileRow))).scalars())


# --- WAL ----------------------------------------------------------------------------------

async def wal_begin(
    session: AsyncSession, op: str, file_id: uuid.UUID | None, storage_path: str | None,
    payload: dict[str, Any],
) -> int:
    row = WalRow(op=op, file_id=file_id, storage_path=storage_path, state="pending",
                 payload=payload)
    session.add(row)
    await session.flush()
    return row.id


# The upload hot path: one autocommit statement per step, each atomic on its own, instead of
# BEGIN / statements / COMMIT round trips and an ORM flush.

async def wal_begin_create(
    conn: AsyncConnection, file_id: uuid.UUID, storage_path: str, payload: dict[str, Any],
) -> int | None:
    """The WAL intent of a new file, or None (nothing written) when the id is indexed."""
    intent = select(literal("create"), literal(file_id, PG_UUID(as_uuid=True)),
                    literal(storage_path), literal("pending"), literal(payload, JSONB))
    stmt = insert(WalRow).from_select(
        ["op", "file_id", "storage_path", "state", "payload"],
        intent.where(~exists().where(FileRow.file_id == file_id)),
    ).returning(WalRow.id)
    return (await conn.execute(stmt)).scalar_one_or_none()


async def commit_create(
    conn: AsyncConnection, attrs: dict[str, Any], storage_path: str, event: dict[str, Any],
    wal_id: int,
) -> None:
    """Index row + outbox row + WAL commit as one statement (one implicit transaction)."""
    index = _upsert(attrs, storage_path).returning(FileRow.file_id).cte("index_row")
    outbox = insert(OutboxRow).values(event_id=uuid.UUID(event["event_id"]), payload=event) \
        .returning(OutboxRow.id).cte("outbox_row")
    stmt = update(WalRow).where(WalRow.id == wal_id) \
        .values(state="committed", finished_at=now_utc()).add_cte(index, outbox)
    await conn.execute(stmt)


async def wal_finish(session: AsyncSession, wal_id: int, state: str) -> None:
    await session.execute(
        update(WalRow).where(WalRow.id == wal_id).values(state=state, finished_at=now_utc())
    )


async def wal_pending(session: AsyncSession) -> list[WalRow]:
    query = select(WalRow).where(WalRow.state == "pending").order_by(WalRow.id)
    return list((await session.execute(query)).scalars())


async def wal_pending_file_ids(session: AsyncSession) -> set[uuid.UUID]:
    query = select(WalRow.file_id).where(WalRow.state == "pending", WalRow.file_id.isnot(None))
    return set((await session.execute(query)).scalars())


async def wal_purge(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(
        delete(WalRow).where(WalRow.state != "pending", WalRow.finished_at < before)
    )
    return result.rowcount or 0


# --- outbox -------------------------------------------------------------------------------

async def add_outbox(session: AsyncSession, event: dict[str, Any]) -> None:
    session.add(OutboxRow(event_id=uuid.UUID(event["event_id"]), payload=event))


async def outbox_unsent(session: AsyncSession, limit: int) -> list[OutboxRow]:
    query = select(OutboxRow).where(OutboxRow.sent_at.is_(None)).order_by(OutboxRow.id).limit(limit)
    return list((await session.execute(query)).scalars())


async def outbox_mark_sent(session: AsyncSession, ids: list[int]) -> None:
    await session.execute(update(OutboxRow).where(OutboxRow.id.in_(ids)).values(sent_at=now_utc()))


async def outbox_backlog(session: AsyncSession) -> int:
    query = select(func.count()).select_from(OutboxRow).where(OutboxRow.sent_at.is_(None))
    return int((await session.execute(query)).scalar_one())


async def outbox_purge(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(
        delete(OutboxRow).where(OutboxRow.sent_at.isnot(None), OutboxRow.sent_at < before)
    )
    return result.rowcount or 0
