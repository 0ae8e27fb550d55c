"""The pure HMAC-chain logic."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from admin_module.audit.chain import compute_mac, normalize_details, verify_rows
from admin_module.models.audit import GENESIS_MAC

SECRET = b"k" * 32


@dataclass
class Row:
    seq: int
    prev_mac: str
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    created_at: datetime = field(default_factory=lambda: datetime(2026, 1, 1, tzinfo=UTC))
    action: str = "a"
    actor: str | None = "x"
    resource_type: str | None = None
    resource_id: str | None = None
    outcome: str = "success"
    details: dict[str, Any] = field(default_factory=dict)
    request_id: str | None = None
    mac: str = ""


def chain(n: int) -> list[Row]:
    rows, prev = [], GENESIS_MAC
    for seq in range(1, n + 1):
        row = Row(seq=seq, prev_mac=prev, details={"n": seq})
        row.mac = compute_mac(SECRET, row)
        rows.append(row)
        prev = row.mac
    return rows


def check(rows, head=None, anchor=(0, GENESIS_MAC)):
    head = head or (rows[-1].seq, rows[-1].mac)
    return verify_rows(SECRET, rows, anchor_seq=anchor[0], anchor_mac=anchor[1],
                       head_seq=head[0], head_mac=head[1])


def test_intact_chain_is_valid():
    result = check(chain(5))
    assert result.valid and result.checked == 5


def test_empty_chain_is_valid():
    assert verify_rows(SECRET, [], anchor_seq=0, anchor_mac=GENESIS_MAC, head_seq=0,
                       head_mac=GENESIS_MAC).valid


def test_edit_is_found_at_the_edited_row():
    rows = chain(5)
    rows[2] = replace(rows[2], actor="mallory")
    result = check(rows, head=(5, rows[4].mac))
    assert not result.valid and result.position == 3 and result.first_broken_id == str(rows[2].id)


def test_deleted_row_reports_the_missing_seq():
    rows = chain(5)
    head = (5, rows[4].mac)
    del rows[1]
    result = check(rows, head=head)
    assert not result.valid and result.position == 2
    assert result.first_broken_id == str(rows[1].id)  # the row after the gap


def test_truncated_tail_is_found_against_the_head():
    rows = chain(5)
    result = check(rows[:3], head=(5, rows[4].mac))
    assert not result.valid and result.position == 4 and result.first_broken_id is None


def test_wrong_key_breaks_the_first_row():
    rows = chain(3)
    result = verify_rows(b"other", rows, anchor_seq=0, anchor_mac=GENESIS_MAC,
                         head_seq=3, head_mac=rows[-1].mac)
    assert not result.valid and result.position == 1


def test_verification_can_start_from_a_pruning_anchor():
    rows = chain(6)
    result = check(rows[3:], anchor=(3, rows[2].mac))
    assert result.valid and result.checked == 3


def test_details_are_normalized_like_jsonb():
    assert normalize_details({"when": datetime(2026, 1, 1, tzinfo=UTC), "n": (1, 2)}) == {
        "when": "2026-01-01 00:00:00+00:00", "n": [1, 2]}
    assert normalize_details(None) == {}
