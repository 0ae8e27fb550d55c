"""Every benchmark in one run: one table on stdout, the whole report as JSON.

    .venv/bin/python bench/run_all.py [--quick] [--search-docs 100000,1000000] [--only NAME,...]
                                      [--out .artstore/bench]      # or: make bench

Default sizes are the issue's: 100 MiB and 1 GiB files, 2,000 small files at concurrency 16,
catalogs of 100,000 and 1,000,000 rows for search (each built once and kept: see
bench/search_scale.py, `--cached`; the first 1M build takes 20-45 min). `--quick` shrinks them
(10/100 MiB, 200 files, 5,000 rows) to try the suite in a few minutes. Each reference (dd
conv=fsync, nginx sendfile, a bare ASGI write+fsync endpoint, a raw 4 KiB write+fsync loop) is
measured in the same run, on the same disk, so the ratios hold on any machine. The JSON
(latest.json plus a timestamped copy) keeps every figure each bench returned and the machine's
facts. Nothing here asserts a time; a bench that fails shows as a row with its error and makes
the exit status 1.

bench/small_files.py (the ingester's small-file rate against a bare ASGI write+fsync endpoint)
is called as a subprocess: `bench/small_files.py --json --count N` prints one JSON object on its
last stdout line: {"size_bytes", "concurrency", "bare"|"se"|"ingester": {"files_per_s",
"p50_ms", "p95_ms", "p99_ms"}}. When the file is missing the row says "not available".
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import admin_tokens
import ingest_1gib
import query_download_1gib
import se_transfer_1gib
import search_scale
import sizing
import small_reads
from report import fmt, render_table, write_json
from support import (
    ROOT,
    MiB,
    load_stack,
    machine_facts,
    parse_size,
    running_suite,
    small_fsync_rate,
    work_dir,
)

STATE = str(ROOT / ".artstore" / "test-stack")
SMALL_FILES = Path(__file__).with_name("small_files.py")
PROFILES = {
    "default": {"sizes": "100M,1G", "small_files": 2000, "small_files_count": 1000,
                "lag_samples": 50,
                "sizing_uploads": 2000, "audit_entries": 200,
                "search_docs": [100_000, 1_000_000],
                "search_repeat": 15, "token_requests": 100, "fsync_count": 1000},
    "quick": {"sizes": "10M,100M", "small_files": 200, "small_files_count": 200, "lag_samples": 10,
              "sizing_uploads": 250, "audit_entries": 50, "search_docs": [5_000],
              "search_repeat": 5, "token_requests": 10, "fsync_count": 200},
}


def row(area: str, figure: str, value, unit: str = "", reference: str = "",
        ratio: float | None = None, note: str = "") -> dict:
    return {"area": area, "figure": figure, "value": value, "unit": unit,
            "reference": reference, "ratio": ratio, "note": note}


def latencies(m: dict) -> str:
    return f"{m['p50_ms']:.0f} / {m['p95_ms']:.0f} / {m['p99_ms']:.0f}"


def mib(n: int) -> str:
    return f"{n / 1024 / MiB:.0f} GiB" if n >= 1024 * MiB else f"{n / MiB:.0f} MiB"


def bench_raw_disk(p: dict) -> tuple[dict, list[dict]]:
    work = work_dir("disk-")
    try:
        r = small_fsync_rate(work, p["fsync_count"])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return r, [row("raw disk", "4 KiB write + fsync(file) + fsync(dir), one at a time",
                   r["per_s"], "files/s", f"{r['mean_ms']:.2f} ms each")]


def bench_large_upload(p: dict) -> tuple[dict, list[dict]]:
    r = ingest_1gib.run([parse_size(s) for s in p["sizes"].split(",")], STATE)
    rows = []
    for s in r["sizes"]:
        rows.append(row("large files", f"upload {mib(s['size'])} through the ingester",
                        s["mib_s"], "MiB/s", f"dd conv=fsync {s['dd_mib_s']:.0f} MiB/s",
                        s["ratio_to_dd"]))
    for s in r["sizes"]:
        for name in ("ingester", "se"):
            rows.append(row("memory", f"peak RSS {name} uploading {mib(s['size'])}",
                            s["peak_rss"][name] / MiB, "MiB",
                            f"idle {r['idle_rss'][name] / MiB:.0f} MiB"))
    return r, rows


def bench_large_download(p: dict) -> tuple[dict, list[dict]]:
    r = query_download_1gib.run([parse_size(s) for s in p["sizes"].split(",")], STATE)
    rows = []
    for s in r["sizes"]:
        nginx = f"nginx sendfile {s['nginx_mib_s']:.0f} MiB/s"
        rows.append(row("large files", f"download {mib(s['size'])} through the query module",
                        s["mib_s"], "MiB/s", nginx, s["ratio_to_nginx"]))
        rows.append(row("large files", f"download {mib(s['size'])} straight from the SE",
                        s["se_mib_s"], "MiB/s", nginx, s["se_mib_s"] / s["nginx_mib_s"]))
        rows.append(row("large files", "  CPU of the query module / the SE per GiB relayed",
                        f"{s['cpu_s_per_gib']['query']:.2f} / {s['cpu_s_per_gib']['se']:.2f}",
                        "s"))
    for s in r["sizes"]:
        for name in ("query", "se"):
            rows.append(row("memory", f"peak RSS {name} serving {mib(s['size'])}",
                            s["peak_rss"][name] / MiB, "MiB",
                            f"idle {r['idle_rss'][name] / MiB:.0f} MiB"))
    return r, rows


def bench_se_transfer(p: dict) -> tuple[dict, list[dict]]:
    size = parse_size(p["sizes"].split(",")[-1])
    r = se_transfer_1gib.run(size, "local", None, STATE)
    return r, [
        row("large files", f"SE alone: upload {mib(size)} (PUT)", r["upload_mib_s"], "MiB/s"),
        row("large files", f"SE alone: download {mib(size)} (SHA-256 checked by the client)",
            r["download_mib_s"], "MiB/s"),
        row("memory", f"peak RSS SE alone, {mib(size)} up / down",
            f"{r['upload_peak_rss'] / MiB:.0f} / {r['download_peak_rss'] / MiB:.0f}", "MiB",
            f"idle {r['idle_rss'] / MiB:.0f} MiB")]


def bench_small_files(p: dict) -> tuple[dict, list[dict]]:
    area = "small files"
    if not SMALL_FILES.exists():
        return {"available": False}, [row(area, "ingester vs bare ASGI write+fsync (c16)", None,
                                          note="not available: bench/small_files.py missing")]
    done = subprocess.run([sys.executable, str(SMALL_FILES), "--json", "--count",
                           str(p["small_files_count"])], cwd=ROOT, stdout=subprocess.PIPE,
                          text=True, check=True)
    r = json.loads([line for line in done.stdout.splitlines() if line.strip()][-1])
    bare = r.get("bare", {}).get("files_per_s")
    rows = []
    for target, label in (("ingester", "through the ingester"), ("se", "straight to an SE"),
                          ("bare", "bare ASGI write+fsync endpoint")):
        if not isinstance(r.get(target), dict):
            continue
        m = r[target]
        reference = f"bare ASGI write+fsync {fmt(bare, 'files/s')}" if target != "bare" else ""
        rows.append(row(area, f"upload {r.get('size_bytes', 4096) // 1024} KiB {label}, "
                              f"c{r.get('concurrency', 16)} (small_files.py)",
                        m["files_per_s"], "files/s", reference,
                        m["files_per_s"] / bare if bare and target != "bare" else None))
        rows.append(row(area, "  its latency p50 / p95 / p99", latencies(m), "ms"))
    return r, rows


def bench_suite(p: dict) -> tuple[dict, list[dict]]:
    with running_suite("bench-suite", sizing.SUITE_ENV) as env:
        small = asyncio.run(small_reads.measure(env, p["small_files"], 16, p["lag_samples"]))
        units = sizing.measure(env, p["sizing_uploads"], p["audit_entries"])
    up, down, lag = small["upload"], small["download"], small["lag"]
    area = "small files"
    rows = [
        row(area, f"upload 4 KiB through the ingester, c16 ({up['count']} files, whole suite)",
            up["per_s"], "files/s"),
        row(area, "  its latency p50 / p95 / p99", latencies(up), "ms"),
        row(area, "download 4 KiB through the query module, c16", down["per_s"], "files/s"),
        row(area, "  its latency p50 / p95 / p99", latencies(down), "ms"),
        row("catalog", "visibility lag, upload 201 → found by search, p50 / p95",
            f"{lag['p50_ms']:.0f} / {lag['p95_ms']:.0f}", "ms", f"{lag['count']} samples"),
        row("catalog", f"catch-up after {up['count']} uploads at c16",
            small["catalog_catch_up_s"], "s"),
        row("rebuild", "SE index rebuild from sidecars", units["rebuild_files_per_s"], "files/s",
            f"{int(units['documents_measured']):,} documents"),
        row("rebuild", "catalog re-index from SE listings", units["reindex_files_per_s"],
            "files/s"),
        row("rebuild", "audit chain verification", units["audit_verify_per_s"], "entries/s"),
        row("sizing", "catalog row / SE index row (with indexes)",
            f"{units['catalog']:.0f} / {units['se_index']:.0f}", "bytes"),
    ]
    return {"small": small, "sizing": units}, rows


def bench_search(p: dict) -> tuple[dict, list[dict]]:
    results, rows = {}, []
    for docs in p["search_docs"]:
        r = asyncio.run(search_scale.run(docs, p["search_repeat"], STATE, cached=True))
        results[str(docs)] = r
        area = f"search {r['docs']:,} rows"
        if r["built"]:
            rows.append(row(area, "corpus built and kept (first run only)",
                            round(r["load_seconds"]), "s"))
        rows += [row(area, f"{c['kind']}: {c['label']}",
                     f"{c['p50_ms']:.0f} / {c['p95_ms']:.0f}", "ms p50 / p95",
                     f"{c['total']:,}{'' if c['total_exact'] else '+'} hits")
                 for c in r["cases"]]
    return results, rows


def bench_tokens(p: dict) -> tuple[dict, list[dict]]:
    r = asyncio.run(admin_tokens.run(p["token_requests"], [1, 8], STATE))
    return r, [row("tokens", f"client-credentials token issue, concurrency {level}", m["per_s"],
                   "tokens/s", f"p50 / p95 / p99 {latencies(m)} ms; Argon2id {r['kdf']}")
               for level, m in r["levels"].items()]


BENCHES: dict[str, Callable[[dict], tuple[dict, list[dict]]]] = {
    "raw_disk": bench_raw_disk, "large_upload": bench_large_upload,
    "large_download": bench_large_download, "se_transfer": bench_se_transfer,
    "small_files": bench_small_files, "suite": bench_suite, "search": bench_search,
    "tokens": bench_tokens,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, a few minutes")
    parser.add_argument("--search-docs", help="catalog sizes for search, comma-separated")
    parser.add_argument("--only", help=f"comma-separated subset of: {', '.join(BENCHES)}")
    parser.add_argument("--out", default=str(ROOT / ".artstore" / "bench"))
    args = parser.parse_args()
    profile = PROFILES["quick" if args.quick else "default"]
    if args.search_docs:
        profile = {**profile, "search_docs": [int(n) for n in args.search_docs.split(",")]}
    names = args.only.split(",") if args.only else list(BENCHES)
    if unknown := set(names) - set(BENCHES):
        parser.error(f"unknown bench: {', '.join(sorted(unknown))}")

    started = datetime.now(UTC)
    stack_env = load_stack().start(["postgres", "redis"], STATE, fast=True)
    report: dict = {"started_at": started.isoformat(timespec="seconds"), "quick": args.quick,
                    "profile": profile, "machine": machine_facts(stack_env), "results": {},
                    "seconds": {}, "errors": {}, "rows": []}
    began = time.perf_counter()
    for name in names:
        print(f"== {name}", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        try:
            result, rows = BENCHES[name](profile)
            report["results"][name] = result
            report["rows"] += rows
        except Exception as exc:  # one failing bench must not hide the others' figures
            traceback.print_exc()
            report["errors"][name] = f"{type(exc).__name__}: {exc}"
            report["rows"].append(row(name, "failed", None, note=report["errors"][name][:80]))
        report["seconds"][name] = time.perf_counter() - t0
        print(f"== {name}: {report['seconds'][name]:.0f} s", file=sys.stderr, flush=True)
        write_json(report, Path(args.out))  # an interrupted run keeps what it measured
    report["duration_s"] = time.perf_counter() - began
    report["machine"]["load_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(render_table(report))
    latest, stamped = write_json(report, Path(args.out))
    print(f"\n{len(names)} benches in {report['duration_s'] / 60:.1f} min; JSON: {latest} "
          f"({stamped.name})")
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
