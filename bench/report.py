"""The benchmark report: rows → one plain-text table, the whole report → JSON files.

A row is {"area", "figure", "value", "unit"} plus optional "reference" (text: what the figure
is compared with, measured in the same run) and "ratio" (value / reference, higher is better).
A value of None means "not available"; "note" says why (shown in the reference column).
Standard library only, so the unit test needs no servers.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path


def fmt(value: float | int | str | None, unit: str = "") -> str:
    if value is None:
        return "n/a"
    if isinstance(value, str):
        text = value
    elif isinstance(value, float):
        text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}" if value else "0"
    else:
        text = f"{value:,}"
    return f"{text} {unit}".strip()


def render_table(report: dict) -> str:
    machine = report.get("machine", {})
    head = [f"ArtStore benchmarks — {report.get('started_at', '?')}"
            f"{' (quick)' if report.get('quick') else ''}, commit {machine.get('git_commit', '?')}",
            f"{machine.get('cpu_count', '?')} × {machine.get('cpu_model', '?')}, "
            f"{fmt(machine.get('ram_gib'), 'GiB')} RAM, {machine.get('disk', '?')}, "
            f"load {machine.get('load_before', '?')} → {machine.get('load_after', '?')}"]
    columns = ["area", "figure", "value", "reference (same run)", "ratio"]
    cells = [[row["area"], row["figure"], fmt(row.get("value"), row.get("unit", "")),
              row.get("reference") or row.get("note") or "",
              "" if row.get("ratio") is None else f"{row['ratio']:.2f}"]
             for row in report.get("rows", [])]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]

    def line(values: list[str]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + " |"

    table = [line(columns), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    table += [line(c) for c in cells]
    return "\n".join(head + [""] + table)


def write_json(report: dict, directory: Path) -> tuple[Path, Path]:
    """latest.json and a timestamped copy in `directory`; returns both paths."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.fromisoformat(report["started_at"]).strftime("%Y%m%dT%H%M%SZ")
    text = json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n"
    latest, stamped = directory / "latest.json", directory / f"bench-{stamp}.json"
    for path in (stamped, latest):
        path.write_text(text, encoding="utf-8")
    return latest, stamped
