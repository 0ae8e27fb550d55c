"""SQL of the text indexer: claiming pending files under a lease, storing an extraction's
outcome, marking everything pending for a re-index."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy import func, literal_column, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from query_module.catalog.schemas import FileRead
from query_module.models import CatalogFile as F
from query_module.models import CatalogText
from query_module.text.morph import metadata_lemmas
from query_module.text.sandbox import Extracted


def body_vector(text: str, lemmas: str):  # noqa: ANN201 - an SQL expression
    """Body lexemes, weight D (below every metadata weight, so metadata matches rank first)."""
    vector = (func.to_tsvector(_config("russian"), text)
              .op("||")(func.to_tsvector(_config("english"), text))
              .op("||")(func.to_tsvector(_config("simple"), lemmas)))
    return func.setweight(vector, literal_column("'D'"))


def _config(name: str):  # noqa: ANN202
    return literal_column(f"'{name}'::regconfig")


async def store_text(session: AsyncSession, file: FileRead, result: Extracted) -> None:
    """Save an extraction's outcome, if the row still describes the same bytes and is still
    waiting for its text."""
    values: dict = {
        "text_state": result.state, "text_reason": result.reason, "text_lease_until": None,
        "body_vector": body_vector(result.text, result.lemmas) if result.text else None,
        "meta_lemmas": func.coalesce(F.meta_lemmas, metadata_lemmas(
            file.original_filename, file.description, file.tags, file.custom)),
    }
    updated = await session.execute(
        update(F).where(F.file_id == file.file_id, F.sha256 == file.sha256,
                        F.text_state == "pending").values(**values)
        .returning(F.file_id))
    if updated.scalar_one_or_none() is None:
        return
    if result.state == "done":
        row = {"file_id": file.file_id, "sha256": file.sha256, "content": result.text,
               "method": result.method, "pages": result.pages,
               "extracted_at": datetime.now(UTC)}
        stmt = insert(CatalogText).values(**row)
        await session.execute(stmt.on_conflict_do_update(
            index_elements=[CatalogText.file_id],
            set_={k: stmt.excluded[k] for k in row if k != "file_id"}))
    else:
        await session.execute(
            CatalogText.__table__.delete().where(CatalogText.file_id == file.file_id))


async def mark_all_pending(session: AsyncSession) -> None:
    """Re-index regenerates every document's text."""
    await session.execute(update(F).values(text_state="pending", text_reason=None,
                                           text_lease_until=None))


async def count_pending(session: AsyncSession) -> int:
    return int(await session.scalar(
        select(func.count()).select_from(F).where(F.text_state == "pending")) or 0)


async def claim_pending(session: AsyncSession, n: int, lease: timedelta) -> Sequence[F]:
    """Up to ``n`` pending files nobody holds a lease on, leased to the caller."""
    now = datetime.now(UTC)
    rows = (await session.execute(
        select(F).where(F.text_state == "pending",
                        or_(F.text_lease_until.is_(None), F.text_lease_until < now))
        .order_by(F.indexed_at).limit(n).with_for_update(skip_locked=True)
    )).scalars().all()
    for row in rows:
        row.text_lease_until = now + lease
    return rows


async def retry_later(session: AsyncSession, file_id: UUID, until: datetime) -> None:
    await session.execute(update(F).where(F.file_id == file_id)
                          .values(text_lease_until=until,
                                  text_reason="storage element unreachable; will retry"))
