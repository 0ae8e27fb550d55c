"""Which copy a catalog row mirrors: ordering, finalize moves, deletes from old owners."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from query_module.catalog.rules import CopyVersion, Outcome, delete_outcome, upsert_outcome

A, B = uuid.uuid4(), uuid.uuid4()
T = datetime(2026, 1, 1, tzinfo=UTC)


def v(se=A, status="active", updated=0, event=0, finalized=False) -> CopyVersion:
    return CopyVersion(se, status, T + timedelta(seconds=updated),
                       T + timedelta(seconds=event), finalized)


class TestUpsert:
    def test_first_sight_applies(self):
        assert upsert_outcome(None, v()) is Outcome.APPLIED

    def test_same_se_newer_applies(self):
        assert upsert_outcome(v(updated=1), v(updated=2)) is Outcome.APPLIED

    def test_same_se_older_is_stale(self):
        assert upsert_outcome(v(updated=2), v(updated=1, event=9)) is Outcome.STALE

    def test_same_version_replayed_is_stale(self):
        assert upsert_outcome(v(updated=1, event=1), v(updated=1, event=1)) is Outcome.STALE

    def test_finalized_source_never_takes_row_from_copy(self):
        assert upsert_outcome(v(B, updated=1), v(A, updated=5, finalized=True)) is Outcome.IGNORED

    def test_copy_takes_row_from_finalized_source(self):
        assert upsert_outcome(v(A, updated=5, finalized=True), v(B, updated=1)) is Outcome.APPLIED

    def test_live_copy_beats_deleted_row(self):
        assert upsert_outcome(v(A, status="deleted", updated=9), v(B, updated=1)) \
            is Outcome.APPLIED

    def test_deleted_copy_never_kills_live_row(self):
        assert upsert_outcome(v(A, updated=1), v(B, status="deleted", updated=9)) \
            is Outcome.IGNORED

    def test_other_se_newer_copy_wins(self):
        assert upsert_outcome(v(A, updated=1), v(B, updated=1, event=2)) is Outcome.APPLIED

    def test_other_se_older_copy_ignored(self):
        assert upsert_outcome(v(A, updated=2), v(B, updated=1)) is Outcome.IGNORED


class TestDelete:
    def test_owner_delete_applies(self):
        assert delete_outcome(v(A), A) is Outcome.APPLIED

    def test_delete_from_non_owner_is_ignored(self):
        assert delete_outcome(v(B), A) is Outcome.IGNORED

    def test_repeated_delete_is_stale(self):
        assert delete_outcome(v(A, status="deleted"), A) is Outcome.STALE

    def test_delete_of_unknown_file_is_ignored(self):
        assert delete_outcome(None, A) is Outcome.IGNORED
