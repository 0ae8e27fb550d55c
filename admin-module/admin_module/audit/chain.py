"""Pure HMAC-chain logic: the canonical form of a row, its MAC, and verification of a sequence."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


class ChainRow(Protocol):
    id: Any
    seq: int
    created_at: datetime
    action: str
    actor: str | None
    resource_type: str | None
    resource_id: str | None
    outcome: str
    details: dict[str, Any]
    request_id: str | None
    prev_mac: str
    mac: str


def canonical(row: ChainRow) -> bytes:
    content = {
        "id": str(row.id),
        "seq": row.seq,
        "created_at": row.created_at.isoformat(),
        "action": row.action,
        "actor": row.actor,
        "resource_type": row.resource_type,
        "resource_id": row.resource_id,
        "outcome": row.outcome,
        "details": row.details,
        "request_id": row.request_id,
        "prev_mac": row.prev_mac,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def compute_mac(secret: bytes, row: ChainRow) -> str:
    return hmac.new(secret, canonical(row), hashlib.sha256).hexdigest()


def checkpoint_signature(secret: bytes, seq: int, mac: str, created_at: datetime) -> str:
    """The prefix keeps a checkpoint signature from ever passing for a row MAC or vice versa."""
    body = json.dumps({"seq": seq, "mac": mac, "created_at": created_at.isoformat()},
                      sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(secret, b"artstore-audit-checkpoint\n" + body, hashlib.sha256).hexdigest()


def normalize_details(details: dict[str, Any] | None) -> dict[str, Any]:
    """Round-trip through JSON so the MAC covers exactly what JSONB will hand back."""
    return json.loads(json.dumps(details or {}, default=str, ensure_ascii=False))


@dataclass
class VerifyResult:
    valid: bool
    checked: int
    first_broken_id: str | None = None
    position: int | None = None
    reason: str | None = None
    mode: str = "full"
    start_seq: int = 0
    end_seq: int = 0
    checkpoints_checked: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "checked": self.checked,
            "first_broken_id": self.first_broken_id,
            "position": self.position,
            "reason": self.reason,
            "mode": self.mode,
            "start_seq": self.start_seq,
            "end_seq": self.end_seq,
            "checkpoints_checked": self.checkpoints_checked,
        }


class ChainWalker:
    """Checks rows one at a time in ``seq`` order, so a long chain never sits in memory.
    ``position`` of a failure is the sequence number where the chain first breaks (for a
    deleted row: the missing number)."""

    def __init__(self, secret: bytes, *, anchor_seq: int, anchor_mac: str,
                 checkpoints: dict[int, str | None] | None = None) -> None:
        self.secret = secret
        self.expected_seq = anchor_seq + 1
        self.expected_prev = anchor_mac
        self.checked = 0
        # seq -> MAC of the checkpoints this walk passes (None: its signature is wrong)
        self.checkpoints = checkpoints or {}
        self.checkpoints_checked = 0

    def add(self, row: ChainRow) -> VerifyResult | None:
        """None while the chain holds; the failure at the first broken row."""
        if row.seq != self.expected_seq:
            return VerifyResult(
                False, self.checked, str(row.id), self.expected_seq,
                f"row(s) missing: expected seq {self.expected_seq}, found {row.seq}",
            )
        if not hmac.compare_digest(row.prev_mac, self.expected_prev):
            return VerifyResult(False, self.checked, str(row.id), row.seq,
                                "prev_mac does not match the previous row")
        if not hmac.compare_digest(compute_mac(self.secret, row), row.mac):
            return VerifyResult(False, self.checked, str(row.id), row.seq,
                                "row content does not match its MAC")
        if row.seq in self.checkpoints:
            cp_mac = self.checkpoints[row.seq]
            if cp_mac is None:
                return VerifyResult(False, self.checked, None, row.seq,
                                    "the checkpoint is not signed by the chain key")
            if not hmac.compare_digest(cp_mac, row.mac):
                return VerifyResult(False, self.checked, None, row.seq,
                                    "the checkpoint records another MAC than its row")
            self.checkpoints_checked += 1
        self.checked += 1
        self.expected_seq, self.expected_prev = row.seq + 1, row.mac
        return None

    def finish(self, head_seq: int, head_mac: str | None) -> VerifyResult:
        """``head_mac`` None: the walk ends inside the chain (a range), only its seq is known."""
        last = self.expected_seq - 1
        if last != head_seq or (head_mac is not None
                                and not hmac.compare_digest(self.expected_prev, head_mac)):
            return VerifyResult(False, self.checked, None, self.expected_seq,
                                f"chain ends at seq {last} but the head records seq {head_seq}")
        return VerifyResult(True, self.checked)


def verify_rows(
    secret: bytes,
    rows: Iterable[ChainRow],
    *,
    anchor_seq: int,
    anchor_mac: str,
    head_seq: int,
    head_mac: str,
) -> VerifyResult:
    walker = ChainWalker(secret, anchor_seq=anchor_seq, anchor_mac=anchor_mac)
    for row in rows:
        if (failure := walker.add(row)) is not None:
            return failure
    return walker.finish(head_seq, head_mac)
