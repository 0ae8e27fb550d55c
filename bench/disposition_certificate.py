"""How long the certificate of destruction takes to render, and how big it gets (issue 15).

    .venv/bin/python bench/disposition_certificate.py [--files 1000]

Builds a certificate of --files destroyed files (Cyrillic names, real-looking SHA-256s) and
renders its PDF the way the disposition saga does (on a worker thread there); prints the time
and both documents' sizes.
"""

from __future__ import annotations

import argparse
import hashlib
import time
import uuid

from admin_module.disposition import certificate


def sample(files: int) -> dict:
    destroyed = [{"file_id": str(uuid.uuid4()), "original_filename": f"Отчёт за {i} год.pdf",
                  "sha256": hashlib.sha256(str(i).encode()).hexdigest(), "size": 1000 + i,
                  "retention_class": "ledger-5y",
                  "retain_until": "2021-01-01T23:59:59.999999+00:00"} for i in range(files)]
    person = {"subject": str(uuid.uuid4()), "at": "2026-01-02T00:00:00+00:00"}
    return {"batch_id": str(uuid.uuid4()), "reason": "fiscal 2015 past retention",
            "proposed_by": {**person, "name": "Анна"}, "approved_by": {**person, "name": "Boris"},
            "executed_at": "2026-01-02T00:00:00+00:00", "destroyed": destroyed, "skipped": [],
            "totals": {"destroyed": files, "skipped": 0,
                       "bytes": sum(d["size"] for d in destroyed)},
            "audit": {"seq_from": 1, "seq_to": 2 * files, "prev_mac": "0" * 64,
                      "last_mac": "a" * 64}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=1000)
    args = parser.parse_args()
    cert = sample(args.files)
    started = time.perf_counter()
    pdf = certificate.render_pdf(cert)
    took = time.perf_counter() - started
    print(f"certificate of {args.files} files: PDF {len(pdf) / 1024:.0f} KiB rendered in "
          f"{took:.2f} s, JSON {len(certificate.encode(cert)) / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
