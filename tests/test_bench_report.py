"""The benchmark report: the table and JSON writer on a sample report, and the interface to
bench/small_files.py (its JSON line, or a "not available" row when the file is missing).
No timing is measured or asserted here."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import report  # noqa: E402
import run_all  # noqa: E402

SAMPLE = {
    "started_at": "2026-11-30T14:05:09+00:00", "quick": True,
    "machine": {"cpu_count": 2, "cpu_model": "AMD EPYC", "ram_gib": 23.5,
                "disk": "ext4 on /dev/vda (271 GB)", "git_commit": "abc123",
                "load_before": "1.00", "load_after": "2.00"},
    "rows": [
        run_all.row("large files", "upload 1 GiB through the ingester", 412.37, "MiB/s",
                    "dd conv=fsync 450 MiB/s", 0.9164),
        run_all.row("small files", "  its latency p50 / p95 / p99", "228 / 400 / 512", "ms"),
        run_all.row("small files", "ingester vs bare ASGI", None, note="not available"),
        run_all.row("tokens", "token issue", 3, "tokens/s"),
    ],
    "results": {"large_upload": {"sizes": [{"size": 1 << 30, "peak_rss": {"se": 1234}}]}},
}


def test_table_has_one_line_per_row_with_values_references_and_ratios():
    lines = report.render_table(SAMPLE).splitlines()
    assert "2026-11-30T14:05:09+00:00 (quick), commit abc123" in lines[0]
    assert "2 × AMD EPYC" in lines[1] and "load 1.00 → 2.00" in lines[1]
    body = [line for line in lines if line.startswith("| ")][1:]
    assert len(body) == len(SAMPLE["rows"])
    assert len({len(line) for line in body}) == 1  # columns aligned
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in body]
    assert cells[0] == ["large files", "upload 1 GiB through the ingester", "412 MiB/s",
                        "dd conv=fsync 450 MiB/s", "0.92"]
    assert cells[1][2] == "228 / 400 / 512 ms"
    assert cells[2][2:] == ["n/a", "not available", ""]
    assert cells[3][2] == "3 tokens/s"


def test_json_written_as_latest_and_timestamped_copy(tmp_path):
    latest, stamped = report.write_json(SAMPLE, tmp_path / "bench")
    assert latest.name == "latest.json" and stamped.name == "bench-20261130T140509Z.json"
    assert json.loads(latest.read_text()) == json.loads(stamped.read_text())
    assert json.loads(latest.read_text())["results"] == SAMPLE["results"]


def test_small_files_missing_gives_a_not_available_row(monkeypatch, tmp_path):
    monkeypatch.setattr(run_all, "SMALL_FILES", tmp_path / "small_files.py")
    result, rows = run_all.bench_small_files(run_all.PROFILES["quick"])
    assert result == {"available": False}
    assert rows[0]["value"] is None and "not available" in rows[0]["note"]


def test_small_files_json_last_line_becomes_rows(monkeypatch, tmp_path):
    script = tmp_path / "small_files.py"
    script.write_text(
        "import json, sys\n"
        "assert sys.argv[1:] == ['--json', '--count', '200'], sys.argv\n"
        "print('progress noise')\n"
        "cut = lambda rate: {'files_per_s': rate, 'p50_ms': 40.0, 'p95_ms': 80.0,\n"
        "                    'p99_ms': 120.0}\n"
        "print(json.dumps({'size_bytes': 4096, 'count': 200, 'concurrency': 16,\n"
        "    'bare': cut(1500.0), 'se': cut(600.0), 'ingester': cut(300.0)}))\n")
    monkeypatch.setattr(run_all, "SMALL_FILES", script)
    result, rows = run_all.bench_small_files(run_all.PROFILES["quick"])
    assert result["ingester"]["files_per_s"] == 300.0
    assert [r["figure"] for r in rows[::2]] == [
        "upload 4 KiB through the ingester, c16 (small_files.py)",
        "upload 4 KiB straight to an SE, c16 (small_files.py)",
        "upload 4 KiB bare ASGI write+fsync endpoint, c16 (small_files.py)"]
    assert [r["ratio"] for r in rows[::2]] == [pytest.approx(0.2), pytest.approx(0.4), None]
    assert "1,500 files/s" in rows[0]["reference"]
    assert rows[1]["value"] == "40 / 80 / 120"
