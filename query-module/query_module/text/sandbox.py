"""Run ``extract`` in a child process: its own address-space and CPU limits, a wall-clock
timeout, and its whole process group (Tesseract included) killed on overrun, so one hostile
or huge file can neither stall nor exhaust the query module."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import anyio


@dataclass
class Extracted:
    state: str  # done|failed|skipped
    reason: str | None
    method: str | None = None
    pages: int | None = None
    text: str = ""
    lemmas: str = ""


@dataclass
class Limits:
    timeout_seconds: float = 120.0
    memory_mb: int = 1024
    max_chars: int = 500_000
    ocr_languages: str = "rus+eng"
    ocr_max_pages: int = 50


async def run_extraction(source: Path, content_type: str, name: str, limits: Limits) -> Extracted:
    with tempfile.TemporaryDirectory(prefix="artstore-text-") as out:
        cmd = [
            sys.executable, "-m", "query_module.text.extract", str(source), out,
            "--content-type", content_type, "--name", name, "--langs", limits.ocr_languages,
            "--ocr-max-pages", str(limits.ocr_max_pages), "--max-chars", str(limits.max_chars),
            "--memory-mb", str(limits.memory_mb),
            "--cpu-seconds", str(max(1, int(limits.timeout_seconds))),
        ]
        env = {**os.environ, "MALLOC_ARENA_MAX": "2", "OMP_THREAD_LIMIT": "1",
               "RAYON_NUM_THREADS": "1"}
        proc = await asyncio.create_subprocess_exec(
            *cmd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
            start_new_session=True,
        )
        try:
            stdout, stderr = await asyncio.wait_for(proc.communicate(), limits.timeout_seconds)
        except TimeoutError:
            _kill_group(proc)
            await proc.wait()
            return Extracted("failed", f"timed out after {limits.timeout_seconds:g} s")
        except asyncio.CancelledError:
            _kill_group(proc)
            raise
        _kill_group(proc)  # a stray grandchild must not outlive the extraction
        if proc.returncode != 0:
            return Extracted("failed", _crash_reason(proc.returncode, stderr))
        try:
            outcome = json.loads(stdout.decode().strip().splitlines()[-1])
        except (ValueError, IndexError):
            return Extracted("failed", "extractor produced no result")
        result = Extracted(outcome["state"], outcome.get("reason"), outcome.get("method"),
                           outcome.get("pages"))
        if result.state == "done":
            result.text = await anyio.Path(out, "text").read_text(encoding="utf-8")
            result.lemmas = await anyio.Path(out, "lemmas").read_text(encoding="utf-8")
        return result


def _kill_group(proc: asyncio.subprocess.Process) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _crash_reason(returncode: int, stderr: bytes) -> str:
    tail = stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
    if returncode < 0:
        sig = signal.Signals(-returncode).name
        if sig in ("SIGXCPU", "SIGKILL"):
            return f"CPU or memory limit exceeded ({sig})"
        return f"extractor killed by {sig}"
    if "MemoryError" in tail[0] or "memory" in tail[0].lower():
        return "memory limit exceeded"
    return f"extractor exited with {returncode}: {tail[0][:300]}"
