"""The certificate of destruction: a JSON document and its PDF rendering (fpdf2 with the
bundled DejaVu Sans, so Cyrillic names print), both stored as permanent documents."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from admin_module.models.disposition import DispositionBatch, DispositionItem

FONT = Path(__file__).parent / "fonts" / "DejaVuSans.ttf"
KIND = "artstore.certificate_of_destruction"
TAG = "disposition-certificate"


def _at(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def build(batch: DispositionBatch, items: list[DispositionItem], *, prev_mac: str,
          last_mac: str) -> dict[str, Any]:
    destroyed = [i.record for i in items if i.outcome == "destroyed" and i.record]
    skipped = [{"file_id": str(i.file_id), "reason": i.reason,
                **({"details": i.record} if i.record else {})}
               for i in items if i.outcome == "skipped"]
    return {
        "kind": KIND,
        "version": 1,
        "batch_id": str(batch.id),
        "reason": batch.reason,
        "proposed_by": {"name": batch.proposed_by, "subject": batch.proposed_by_subject,
                        "at": _at(batch.proposed_at)},
        "approved_by": {"name": batch.decided_by, "subject": batch.decided_by_subject,
                        "at": _at(batch.decided_at), "reason": batch.decision_reason},
        "executed_at": _at(batch.executed_at),
        "destroyed": sorted(destroyed, key=lambda r: r["file_id"]),
        "skipped": skipped,
        "totals": {"destroyed": len(destroyed), "skipped": len(skipped),
                   "bytes": sum(r.get("size") or 0 for r in destroyed)},
        # Verify with GET /api/v1/disposition/batches/{id}/certificate/verify, or recompute the
        # HMAC chain over these entries from an audit export.
        "audit": {"seq_from": batch.audit_seq_from, "seq_to": batch.audit_seq_to,
                  "prev_mac": prev_mac, "last_mac": last_mac},
    }


def render_pdf(cert: dict[str, Any]) -> bytes:
    pdf = FPDF(orientation="L", format="A4")
    pdf.set_creation_date(datetime.fromisoformat(cert["executed_at"]))  # same bytes on re-run
    pdf.set_title("Certificate of destruction")
    pdf.add_font("DejaVu", fname=str(FONT))
    pdf.add_page()
    pdf.set_font("DejaVu", size=16)
    pdf.cell(0, 10, "Certificate of destruction", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("DejaVu", size=9)
    lines = [
        f"Batch: {cert['batch_id']}",
        f"Reason: {cert['reason']}",
        f"Proposed by: {cert['proposed_by']['name']} ({cert['proposed_by']['subject']}) "
        f"at {cert['proposed_by']['at']}",
        f"Approved by: {cert['approved_by']['name']} ({cert['approved_by']['subject']}) "
        f"at {cert['approved_by']['at']}",
        f"Executed at: {cert['executed_at']}",
        f"Destroyed: {cert['totals']['destroyed']} files, {cert['totals']['bytes']} bytes; "
        f"skipped: {cert['totals']['skipped']}",
        f"Audit chain entries {cert['audit']['seq_from']}–{cert['audit']['seq_to']}, "
        f"last MAC {cert['audit']['last_mac']}",
    ]
    for line in lines:
        pdf.multi_cell(0, 5, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    # Plain cells, not fpdf2's table: its line breaking made 1,000 rows take minutes.
    for n, r in enumerate(cert["destroyed"], 1):
        pdf.cell(0, 4.5, f"{n}. {r['file_id']}   {r['size']} bytes   class "
                 f"{r.get('retention_class') or '-'}   retain until "
                 f"{r.get('retain_until') or '-'}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.multi_cell(0, 4.5, f"    {r['original_filename']}", new_x=XPos.LMARGIN,
                       new_y=YPos.NEXT)
        pdf.cell(0, 4.5, f"    SHA-256 {r['sha256']}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)
    if cert["skipped"]:
        pdf.ln(3)
        pdf.cell(0, 6, "Kept (not destroyed):", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        for s in cert["skipped"]:
            pdf.multi_cell(0, 5, f"{s['file_id']}: {s['reason']}", new_x=XPos.LMARGIN,
                           new_y=YPos.NEXT)
    return bytes(pdf.output())


def encode(cert: dict[str, Any]) -> bytes:
    return json.dumps(cert, ensure_ascii=False, indent=2, sort_keys=True).encode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
