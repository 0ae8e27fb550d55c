"""Signed checkpoints of the audit chain: a walk starts at the newest one, a range at the one
before it, tampering on either side and tampered checkpoints are found, concurrent writers."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select, text, update

from admin_module.audit import service as audit
from admin_module.metrics import AUDIT_CHAIN_VALID
from admin_module.models.audit import AuditChainHead, AuditCheckpoint, AuditEvent

pytestmark = pytest.mark.integration

EVERY = 5


async def write_events(admin, n: int) -> list[AuditEvent]:
    async with admin.session() as s, s.begin():
        return [await audit.record(s, action="test.cp", actor="tester", resource_type="thing",
                                   resource_id=str(i), details={"i": i}) for i in range(n)]


async def walk(admin, **kwargs):
    async with admin.session() as s, s.begin():
        return await audit.verify_chain(s, checkpoint_every=EVERY, **kwargs)


async def verify_api(admin, **params) -> dict:
    resp = await admin.client.get("/api/v1/audit/verify", params=params,
                                  headers=await admin.headers("AUDITOR"))
    assert resp.status_code == 200, resp.text
    return resp.json()


async def checkpoints(admin) -> list[AuditCheckpoint]:
    async with admin.session() as s:
        return list(await s.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.seq)))


async def tamper(admin, seq: int) -> None:
    async with admin.session() as s, s.begin():
        await s.execute(update(AuditEvent).where(AuditEvent.seq == seq)
                        .values(actor="mallory"))


async def test_a_walk_leaves_checkpoints_and_the_next_starts_at_the_newest(admin):
    await write_events(admin, 12)
    full = await walk(admin, mode="full")
    assert full.valid and full.start_seq == 0
    head = full.end_seq
    marks = [cp.seq for cp in await checkpoints(admin)]
    assert marks == [*range(EVERY, head + 1, EVERY), *([head] if head % EVERY else [])]

    await write_events(admin, 3)
    fast = await verify_api(admin, mode="checkpoint")
    assert fast["valid"] is True, fast
    assert (fast["mode"], fast["start_seq"], fast["end_seq"], fast["checked"]) == (
        "checkpoint", head, head + 3, 3)
    # that walk reached the head: the next one has nothing left to walk
    again = await verify_api(admin, mode="checkpoint")
    assert again["valid"] is True and again["start_seq"] == head + 3 and again["checked"] == 0

    full_again = await walk(admin, mode="full")
    assert full_again.valid and full_again.checkpoints_checked == len(await checkpoints(admin))


async def test_tampering_after_the_checkpoint_is_found_by_the_fast_walk(admin):
    events = await write_events(admin, 6)
    assert (await walk(admin, mode="full")).valid
    later = await write_events(admin, 4)
    await tamper(admin, later[2].seq)
    fast = await verify_api(admin, mode="checkpoint")
    assert fast["valid"] is False
    assert fast["position"] == later[2].seq and fast["first_broken_id"] == str(later[2].id)
    assert fast["start_seq"] == events[-1].seq and "MAC" in fast["reason"]


async def test_tampering_before_a_checkpoint_is_found_by_full_and_range_walks(admin):
    events = await write_events(admin, 14)
    assert (await walk(admin, mode="full")).valid
    victim = events[7]
    await tamper(admin, victim.seq)
    # the fast walk starts after the victim: it only vouches for what follows its checkpoint
    fast = await walk(admin, mode="checkpoint")
    assert fast.valid and fast.start_seq > victim.seq

    full = await verify_api(admin)
    assert full["valid"] is False and full["mode"] == "full"
    assert full["position"] == victim.seq and full["first_broken_id"] == str(victim.id)
    # a full walk that failed keeps the gauge down although a later fast walk passes
    assert (await walk(admin, mode="checkpoint")).valid
    assert AUDIT_CHAIN_VALID._value.get() == 0

    ranged = await verify_api(admin, from_seq=victim.seq, to_seq=victim.seq + 1)
    assert ranged["valid"] is False and ranged["position"] == victim.seq
    before = max(cp.seq for cp in await checkpoints(admin) if cp.seq < victim.seq)
    assert ranged["mode"] == "range" and ranged["start_seq"] == before
    assert ranged["checked"] == victim.seq - before - 1
    # a range that ends before the victim is intact
    clean = await verify_api(admin, from_seq=victim.seq - 2, to_seq=victim.seq - 1)
    assert clean["valid"] is True and clean["end_seq"] == victim.seq - 1


async def test_a_tampered_checkpoint_is_found(admin):
    await write_events(admin, 11)
    assert (await walk(admin, mode="full")).valid
    marks = await checkpoints(admin)
    middle, newest = marks[0], marks[-1]
    async with admin.session() as s, s.begin():
        await s.execute(update(AuditCheckpoint).where(AuditCheckpoint.seq == newest.seq)
                        .values(mac="0" * 64))
    fast = await verify_api(admin, mode="checkpoint")
    assert fast["valid"] is False and fast["position"] == newest.seq
    assert "checkpoint" in fast["reason"]

    async with admin.session() as s, s.begin():
        await s.execute(update(AuditCheckpoint).where(AuditCheckpoint.seq == newest.seq)
                        .values(mac=newest.mac))
        await s.execute(update(AuditCheckpoint).where(AuditCheckpoint.seq == middle.seq)
                        .values(signature="f" * 64))
    assert (await verify_api(admin, mode="checkpoint"))["valid"] is True
    full = await verify_api(admin)
    assert full["valid"] is False and full["position"] == middle.seq
    assert "signed" in full["reason"]
    ranged = await verify_api(admin, from_seq=middle.seq + 1)
    assert ranged["valid"] is False and ranged["position"] == middle.seq


async def test_a_row_deleted_behind_a_checkpoint_is_found_by_a_range_walk(admin):
    events = await write_events(admin, 12)
    assert (await walk(admin, mode="full")).valid
    async with admin.session() as s, s.begin():
        await s.execute(text("DELETE FROM audit_log WHERE seq = :seq"), {"seq": events[3].seq})
    ranged = await verify_api(admin, from_seq=events[3].seq, to_seq=events[4].seq)
    assert ranged["valid"] is False and ranged["position"] == events[3].seq
    assert "missing" in ranged["reason"]


async def test_checkpoints_under_concurrent_writes_keep_the_chain_whole(admin, make_admin):
    other = await make_admin()
    stop = asyncio.Event()

    async def writer(harness, tag):
        for i in range(15):
            async with harness.session() as s, s.begin():
                await audit.record(s, action="test.concurrent", actor=tag, details={"i": i})

    async def verifier(harness, mode):
        results = []
        while not stop.is_set():
            results.append(await walk(harness, mode=mode))
            await asyncio.sleep(0)
        return results

    checkers = [asyncio.create_task(verifier(admin, "checkpoint")),
                asyncio.create_task(verifier(other, "full"))]
    await asyncio.gather(*(writer(h, f"w{n}") for n, h in enumerate([admin, other] * 2)))
    stop.set()
    walks = [r for t in checkers for r in await t]
    assert walks and all(r.valid for r in walks), [r.as_dict() for r in walks if not r.valid]

    written = await checkpoints(admin)
    full = await walk(admin, mode="full")
    assert full.valid, full.as_dict()
    assert full.checkpoints_checked == len(written) > 3  # each one compared with its row
    async with admin.session() as s:
        rows = {r.seq: r.mac for r in await s.scalars(select(AuditEvent))}
        head = await s.get(AuditChainHead, 1)
    assert sorted(rows) == list(range(1, head.last_seq + 1))
    assert all(rows[cp.seq] == cp.mac for cp in await checkpoints(admin))


@pytest.mark.parametrize("params", [{"mode": "quick"}, {"from_seq": 0}, {"to_seq": "x"},
                                    {"from_seq": 5, "to_seq": 4}])
async def test_bad_verify_parameters_are_422(admin, params):
    resp = await admin.client.get("/api/v1/audit/verify", params=params,
                                  headers=await admin.headers("AUDITOR"))
    assert resp.status_code == 422, resp.text
    assert resp.json()["error"]["code"] == "VALIDATION_ERROR"
