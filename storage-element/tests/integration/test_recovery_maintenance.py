"""WAL recovery of interrupted operations, index rebuild from sidecars, fixity."""

from __future__ import annotations

import asyncio
import json
import os
import uuid

import pytest
from se_test_helpers import assert_error, put, sha
from sqlalchemy import text

from storage_element import repository as repo
from storage_element.naming import sidecar_path

pytestmark = pytest.mark.integration


async def pending_create(se, auth, body: bytes, *, write_sidecar: bool, corrupt: bool = False):
    """Leave storage as a crash would: intent logged, data (and maybe sidecar) written,
    no index row. Built from a real upload whose index row and WAL state are then undone."""
    meta = (await put(se.client, auth(), body)).json()
    file_id = uuid.UUID(meta["file_id"])
    async with se.ctx.sessionmaker() as session:
        row = await repo.get_file(session, file_id)
        path = row.storage_path
        await session.execute(text("DELETE FROM files WHERE file_id = :f"), {"f": file_id})
        await session.execute(text("DELETE FROM outbox"))
        await session.execute(text("UPDATE wal SET state = 'pending', finished_at = NULL "
                                   "WHERE file_id = :f"), {"f": file_id})
        await session.commit()
    if not write_sidecar:
        se.ctx.backend.delete(sidecar_path(path))
    if corrupt:
        data = bytearray(se.ctx.backend.get_bytes(path))
        data[0] ^= 0xFF
        se.ctx.backend.delete(path)
        writer = se.ctx.backend.open_writer(path)
        writer.write(bytes(data))
        writer.commit()
    return file_id, path


class TestRecovery:
    async def test_complete_create_is_rolled_forward(self, make_se, auth):
        se = await make_se()
        body = os.urandom(3000)
        file_id, _ = await pending_create(se, auth, body, write_sidecar=True)
        again = await make_se()
        r = await again.client.get(f"/api/v1/files/{file_id}/content", headers=auth())
        assert r.status_code == 200 and r.content == body
        async with again.ctx.sessionmaker() as session:
            states = (await session.execute(text("SELECT state FROM wal"))).scalars().all()
            events = (await session.execute(text("SELECT payload FROM outbox"))).scalars().all()
        assert states == ["committed"]
        assert [e["type"] for e in events] == ["file.created"]

    @pytest.mark.parametrize(("write_sidecar", "corrupt"), [(False, False), (True, True)])
    async def test_incomplete_or_corrupt_create_is_rolled_back(
        self, make_se, auth, write_sidecar, corrupt
    ):
        se = await make_se()
        file_id, _ = await pending_create(se, auth, os.urandom(3000),
                                          write_sidecar=write_sidecar, corrupt=corrupt)
        again = await make_se()
        assert_error(await again.client.get(f"/api/v1/files/{file_id}", headers=auth()), 404)
        assert again.storage_objects() == []
        async with again.ctx.sessionmaker() as session:
            states = (await session.execute(text("SELECT state FROM wal"))).scalars().all()
        assert states == ["rolled_back"]

    async def test_pending_update_follows_the_sidecar(self, make_se, auth):
        se = await make_se()
        meta = (await put(se.client, auth(), b"abc", description="old")).json()
        file_id = uuid.UUID(meta["file_id"])
        r = await se.client.patch(f"/api/v1/files/{file_id}", headers=auth(),
                                  json={"description": "new"})
        assert r.status_code == 200
        async with se.ctx.sessionmaker() as session:  # the index commit "never happened"
            await session.execute(text("UPDATE files SET attrs = jsonb_set(attrs, "
                                       "'{description}', '\"old\"') WHERE file_id = :f"),
                                  {"f": file_id})
            await session.execute(text("UPDATE wal SET state='pending' WHERE op='update'"))
            await session.commit()
        again = await make_se()
        got = (await again.client.get(f"/api/v1/files/{file_id}", headers=auth())).json()
        assert got["description"] == "new"
        report = (await again.client.get("/api/v1/maintenance/consistency",
                                         headers=auth())).json()
        assert report["ok"], report

    async def test_pending_delete_is_completed(self, make_se, auth):
        se = await make_se()
        meta = (await put(se.client, auth(), b"abc")).json()
        file_id = uuid.UUID(meta["file_id"])
        async with se.ctx.sessionmaker() as session:
            row = await repo.get_file(session, file_id)
            await repo.wal_begin(session, "delete", file_id, row.storage_path,
                                 {"sidecar": row.attrs})
            await session.commit()
        se.ctx.backend.delete(row.storage_path)  # crashed after removing the data
        again = await make_se()
        assert_error(await again.client.get(f"/api/v1/files/{file_id}", headers=auth()), 404)
        assert again.storage_objects() == []


class TestRebuild:
    async def _populate(self, se, auth, n=5):
        metas = []
        for i in range(n):
            r = await put(se.client, auth(), os.urandom(100 + i), description=f"d{i}",
                          tags=["x", str(i)], original_filename=f"файл {i}.txt",
                          compression="gzip" if i % 2 else None)
            metas.append(r.json())
        await se.client.patch(f"/api/v1/files/{metas[0]['file_id']}", headers=auth(),
                              json={"description": "changed", "custom": {"k": [1, 2]}})
        listing = (await se.client.get("/api/v1/files", headers=auth())).json()["items"]
        return {item["file_id"]: item for item in listing}

    @pytest.mark.parametrize("mode", ["full", "incremental"])
    async def test_rebuild_after_index_loss_restores_everything(self, make_se, auth, mode):
        se = await make_se()
        before = await self._populate(se, auth)
        async with se.ctx.sessionmaker() as session:
            await session.execute(text("DELETE FROM files"))
            await session.commit()
        assert (await se.client.get("/api/v1/files", headers=auth())).json()["total"] == 0
        r = await se.client.post("/api/v1/maintenance/rebuild", headers=auth(),
                                 params={"mode": mode})
        assert r.status_code == 200 and r.json()["upserted"] == 5, r.text
        after = (await se.client.get("/api/v1/files", headers=auth())).json()["items"]
        assert {item["file_id"]: item for item in after} == before

    async def test_rebuild_into_a_brand_new_database(self, make_se, auth, clone_db):
        se = await make_se()
        before = await self._populate(se, auth)
        fresh = await make_se(DATABASE_URL=clone_db())
        assert (await fresh.client.get("/api/v1/files", headers=auth())).json()["total"] == 0
        await fresh.client.post("/api/v1/maintenance/rebuild", headers=auth())
        after = (await fresh.client.get("/api/v1/files", headers=auth())).json()["items"]
        assert {item["file_id"]: item for item in after} == before
        for file_id, item in before.items():
            r = await fresh.client.get(f"/api/v1/files/{file_id}/content", headers=auth())
            assert sha(r.content) == item["sha256"]

    async def test_consistency_reports_each_kind_of_damage(self, make_se, auth):
        se = await make_se()
        metas = list((await self._populate(se, auth, n=4)).values())
        paths = {}
        async with se.ctx.sessionmaker() as session:
            for m in metas:
                paths[m["file_id"]] = (await repo.get_file(session, uuid.UUID(m["file_id"]))
                                       ).storage_path
        a, b, c, d = (m["file_id"] for m in metas)
        se.ctx.backend.delete(sidecar_path(paths[a]))  # data without sidecar
        se.ctx.backend.delete(paths[b])  # sidecar without data
        async with se.ctx.sessionmaker() as session:  # index drift
            await session.execute(text("UPDATE files SET attrs = jsonb_set(attrs, "
                                       "'{description}', '\"drift\"') WHERE file_id = :f"),
                                  {"f": uuid.UUID(c)})
            await session.commit()
        raw = json.loads(se.ctx.backend.get_bytes(sidecar_path(paths[d])))
        stored = raw["compression"]["stored_size"] if raw["compression"] else raw["size"]
        se.ctx.backend.put_bytes(paths[d], b"z" * (stored + 5))  # size mismatch
        report = (await se.client.get("/api/v1/maintenance/consistency", headers=auth())).json()
        assert not report["ok"]
        counts = report["counts"]
        assert counts["orphan_data"] == 1 and counts["orphan_sidecars"] == 1
        assert counts["index_drift"] == 1 and counts["size_mismatch"] == 1
        assert counts["missing_on_storage"] == 1  # a's index row has no sidecar any more
        assert report["issues"]["index_drift"] == [c]


class TestFixity:
    async def test_flipped_byte_is_caught_by_scrubber_and_quarantined(self, make_se, auth):
        se = await make_se()
        good = (await put(se.client, auth(), os.urandom(5000))).json()
        bad = (await put(se.client, auth(), os.urandom(5000))).json()
        async with se.ctx.sessionmaker() as session:
            path = (await repo.get_file(session, uuid.UUID(bad["file_id"]))).storage_path
        data = bytearray(se.ctx.backend.get_bytes(path))
        data[2500] ^= 0x01
        se.ctx.backend.put_bytes(path, bytes(data))
        result = (await se.client.post("/api/v1/maintenance/fixity", headers=auth())).json()
        assert result["checked"] == 2 and result["ok"] == 1 and result["mismatch"] == 1
        assert result["quarantined"] == [bad["file_id"]]
        ok = (await se.client.get(f"/api/v1/files/{good['file_id']}", headers=auth())).json()
        assert ok["last_verified_at"] is not None
        r = await se.client.get(f"/api/v1/files/{bad['file_id']}/content", headers=auth())
        assert_error(r, 409, "FILE_QUARANTINED")
        report = (await se.client.get("/api/v1/maintenance/consistency", headers=auth())).json()
        assert report["issues"]["checksum_mismatch"][0]["file_id"] == bad["file_id"]


class TestScheduled:
    async def test_reconciliation_and_scrubber_run_on_their_own(self, make_se, auth):
        se = await make_se(SE_RECONCILE_INTERVAL_SECONDS=0.2, SE_FIXITY_INTERVAL_SECONDS=0.2)
        meta = (await put(se.client, auth(), b"scheduled")).json()
        async with se.ctx.sessionmaker() as session:
            await session.execute(text("DELETE FROM files"))
            await session.commit()
        got = None
        for _ in range(200):
            r = await se.client.get(f"/api/v1/files/{meta['file_id']}", headers=auth())
            if r.status_code == 200 and r.json()["last_verified_at"]:
                got = r.json()
                break
            await asyncio.sleep(0.05)
        assert got is not None, "index row not restored and verified by the background jobs"
        assert got["sha256"] == meta["sha256"]
