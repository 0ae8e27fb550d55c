"""The small-file reference: a bare ASGI endpoint that stores a PUT body the way the SE must.

    BARE_DIR=/tmp/x .venv/bin/python -m uvicorn bare_fsync_app:app --app-dir bench

Each PUT writes the body to a temp file, fsyncs it, renames it into place and fsyncs the
directory, then answers 201: the disk's share of a durable small-file write, with no
framework, database or checksum around it. bench/small_files.py measures ArtStore as a ratio
to this figure taken in the same run.
"""

from __future__ import annotations

import asyncio
import os
import uuid

DIRECTORY = os.environ.get("BARE_DIR", "/tmp/artstore-bare")
os.makedirs(DIRECTORY, exist_ok=True)


def _store(body: bytes) -> None:
    name = uuid.uuid4().hex
    temp = os.path.join(DIRECTORY, f".{name}.part")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        os.write(fd, body)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.rename(temp, os.path.join(DIRECTORY, name))
    dir_fd = os.open(DIRECTORY, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


async def app(scope, receive, send) -> None:
    if scope["type"] != "http":
        return
    chunks = []
    more = True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    # On a thread, as the SE does, so concurrent requests overlap their fsyncs.
    await asyncio.to_thread(_store, b"".join(chunks))
    await send({"type": "http.response.start", "status": 201,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})
