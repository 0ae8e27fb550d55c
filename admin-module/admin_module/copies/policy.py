"""Copy policy: how many copies a file of each retention policy should have.

Defaults come from ``contracts.DEFAULT_COPY_POLICIES`` (permanent 2, temporary 1); an operator
can raise them up to the number of suitable SEs. The policies are part of the discovery
document, so the ingester and the query module see a change with the next publish.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, BackgroundTasks
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from admin_module.audit import service as audit
from admin_module.copies import repository as repo
from admin_module.db import DbSession
from admin_module.models.base import utcnow
from admin_module.models.storage_element import CopyPolicyRow
from admin_module.storage_elements.context import Plane
from artstore_common.auth import StorageAdmin, StorageRead
from artstore_common.contracts import DEFAULT_COPY_POLICIES, CopyPolicy, RetentionPolicy
from artstore_common.errors import ValidationFailed

# Where copies of a file of each retention policy may live.
SUITABLE_MODES: dict[str, tuple[str, ...]] = {"permanent": ("rw", "ro", "ar"),
                                              "temporary": ("edit",)}


class CopyPolicyUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    target_copies: int = Field(ge=1, le=16)
    write_quorum: int | None = Field(default=None, ge=1, le=16)
    redundant_copy_weight: int = Field(default=1, ge=1, le=16)


class CopyPolicyRead(CopyPolicy):
    suitable_storage_elements: int
    failure_domains: int


class CopyPolicyTooHigh(ValidationFailed):
    code, message = "COPY_POLICY_TOO_HIGH", "More copies than suitable storage elements"


async def policies(session: AsyncSession) -> list[CopyPolicy]:
    rows = await repo.policy_rows(session)
    result = []
    for name, default in DEFAULT_COPY_POLICIES.items():
        row = rows.get(name)
        result.append(default if row is None else CopyPolicy(
            retention_policy=name,  # type: ignore[arg-type]
            target_copies=row.target_copies, write_quorum=row.write_quorum,
            redundant_copy_weight=row.redundant_copy_weight))
    return result


async def _suitable(session: AsyncSession, retention_policy: str) -> tuple[int, int]:
    return await repo.suitable_counts(session, SUITABLE_MODES[retention_policy])


router = APIRouter(prefix="/copy-policies", tags=["copies"])


async def _read(session: AsyncSession, policy: CopyPolicy) -> CopyPolicyRead:
    count, domains = await _suitable(session, policy.retention_policy)
    return CopyPolicyRead(**policy.model_dump(), suitable_storage_elements=count,
                          failure_domains=domains)


@router.get("", response_model=list[CopyPolicyRead])
async def list_policies(principal: StorageRead, session: DbSession) -> list[CopyPolicyRead]:
    return [await _read(session, p) for p in await policies(session)]


@router.put("/{retention_policy}", response_model=CopyPolicyRead)
async def set_policy(
    retention_policy: Literal["permanent", "temporary"], body: CopyPolicyUpdate,
    principal: StorageAdmin, session: DbSession, plane: Plane, background: BackgroundTasks,
) -> CopyPolicyRead:
    from admin_module.discovery.repository import bump_version

    quorum = body.write_quorum or body.target_copies
    count, _ = await _suitable(session, retention_policy)
    details = {"retention_policy": retention_policy, "target_copies": body.target_copies,
               "write_quorum": quorum, "suitable_storage_elements": count}
    if quorum > body.target_copies:
        raise ValidationFailed("write_quorum cannot exceed target_copies", details=details)
    if body.target_copies > max(count, 1):
        raise CopyPolicyTooHigh(details=details)
    row = await repo.policy_row(session, retention_policy, for_update=True)
    previous = (await _policy_of(session, retention_policy)).model_dump()
    if row is None:
        row = CopyPolicyRow(retention_policy=retention_policy)
        session.add(row)
    row.target_copies, row.write_quorum = body.target_copies, quorum
    row.redundant_copy_weight = body.redundant_copy_weight
    row.updated_at, row.updated_by = utcnow(), principal.name or principal.subject
    await session.flush()
    await bump_version(session)
    await audit.record(session, action="copy_policy.updated", actor=row.updated_by,
                       resource_type="copy_policy", resource_id=retention_policy,
                       details={"previous": previous, **details})
    background.add_task(plane.publish)
    return await _read(session, await _policy_of(session, retention_policy))


async def _policy_of(session: AsyncSession, retention_policy: RetentionPolicy | str
                     ) -> CopyPolicy:
    return next(p for p in await policies(session) if p.retention_policy == retention_policy)
