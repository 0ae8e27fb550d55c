"""The dashboard's activity figures from the hourly roll-up: the same answer before and after
closed hours are rolled up, never counted twice by a second run, still complete when the rolled
audit rows are gone (the roll-up is what is read), and live for the current hour."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from admin_module.dashboard import repository as repo
from admin_module.dashboard import service as dashboard
from admin_module.models.base import utcnow

pytestmark = pytest.mark.integration

ROWS = """
INSERT INTO audit_log (id, seq, created_at, action, actor, resource_type, resource_id, outcome,
    details, prev_mac, mac)
SELECT gen_random_uuid(), :seq + n, CAST(:at AS timestamptz) + make_interval(secs => n),
    :action, 'test', 'file', n::text, :outcome, CAST(:details AS jsonb), repeat('0', 64),
    repeat('0', 64)
FROM generate_series(1, :n) AS n
"""


async def _add(admin, at, action: str, n: int, outcome: str = "success",
               details: str = "{}") -> None:
    _add.seq = getattr(_add, "seq", 50_000_000) + 10_000
    async with admin.app.state.sessionmaker() as session, session.begin():
        await session.execute(text(ROWS), {"seq": _add.seq, "at": at, "action": action, "n": n,
                                           "outcome": outcome, "details": details})


async def test_closed_hours_come_from_the_rollup_and_the_current_hour_is_live(admin):
    headers = await admin.headers("ADMIN")
    hour = repo.ORIGIN + (utcnow() - repo.ORIGIN) // repo.HOUR * repo.HOUR
    three_ago, two_ago = hour - 3 * repo.HOUR, hour - 2 * repo.HOUR
    await _add(admin, three_ago + timedelta(minutes=1), "file.uploaded", 7)
    await _add(admin, three_ago + timedelta(minutes=20), "file.downloaded", 11)
    await _add(admin, two_ago + timedelta(minutes=5), "file.downloaded", 5)
    await _add(admin, two_ago + timedelta(minutes=6), "security.requests_refused", 2, "denied",
               '{"count": 3}')
    await _add(admin, two_ago + timedelta(minutes=7), "file.change_refused", 4, "denied")
    await _add(admin, two_ago + timedelta(minutes=8), "file.uploaded", 1, "failure")

    async def figures() -> dict:
        r = await admin.client.get("/api/v1/dashboard/activity", params={"hours": 24},
                                   headers=headers)
        assert r.status_code == 200, r.text
        return r.json()

    def closed(answer: dict) -> dict:
        return {b["at"]: (b["uploads"], b["downloads"], b["errors"])
                for b in answer["buckets"] if b["at"] < hour.isoformat()}

    before = await figures()  # nothing rolled up yet: all from the audit rows
    assert before["step_seconds"] == 3600
    assert closed(before)[three_ago.isoformat()] == (7, 11, 0)
    assert closed(before)[two_ago.isoformat()] == (0, 5, 2 * 3 + 4 + 1)

    plane = admin.app.state.control_plane
    await dashboard.roll_up(plane)
    async with admin.app.state.sessionmaker() as session:
        rolled = await repo.rolled_until(session)
    assert hour - repo.HOUR <= rolled <= hour
    assert await dashboard.roll_up(plane) == 0  # a second run (or a restart) adds nothing
    after = await figures()
    assert closed(after) == closed(before)
    assert after["errors_by_action"] == before["errors_by_action"]

    # The rolled hours are read from the roll-up: their audit rows gone, the figures stay.
    async with admin.app.state.sessionmaker() as session, session.begin():
        await session.execute(text("DELETE FROM audit_log WHERE created_at < :cut AND seq > "
                                   "50000000"), {"cut": rolled})
    assert closed(await figures()) == closed(before)

    # The current hour is live: a new upload counts at once.
    now_bucket = lambda a: next(b for b in a["buckets"] if b["at"] == hour.isoformat())  # noqa: E731
    uploads = now_bucket(await figures())["uploads"]
    await _add(admin, utcnow() - timedelta(seconds=1), "file.uploaded", 2)
    assert now_bucket(await figures())["uploads"] == uploads + 2
