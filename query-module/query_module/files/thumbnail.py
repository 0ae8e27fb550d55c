"""Image thumbnails for the file list, made here rather than in the browser: a list of 50 large
scans must not download 50 full images. The image is decoded in a child process with an
address-space cap and a timeout (a decompression bomb or a hostile TIFF kills only the child);
the small JPEG is kept in Redis, keyed by the file's SHA-256, so it is made once.

The child runs ``thumbnail_child`` (Pillow only, so it starts in a fraction of a second)."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

import anyio
from redis.asyncio import Redis

from query_module.catalog.schemas import FileRead
from query_module.errors import NoThumbnail
from query_module.files.download import Downloader
from query_module.text.sandbox import _kill_group

IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp", "image/tiff",
                         "image/bmp"})
CACHE_SECONDS = 7 * 86400
TIMEOUT_SECONDS = 30.0
MEMORY_MB = 768


class Thumbnails:
    def __init__(self, redis: Redis, downloader: Downloader, max_source_bytes: int) -> None:
        self.redis = redis
        self.downloader = downloader
        self.max_source_bytes = max_source_bytes
        self._slots = asyncio.Semaphore(2)  # decoding is CPU-bound; bound it per replica

    async def get(self, file: FileRead, size: int) -> bytes:
        if file.content_type.split(";")[0].strip().lower() not in IMAGE_TYPES:
            raise NoThumbnail(details={"reason": "not an image",
                                       "content_type": file.content_type})
        if file.size > self.max_source_bytes:
            raise NoThumbnail(details={"reason": f"larger than {self.max_source_bytes} bytes"})
        key = f"artstore:query:thumb:{file.sha256}:{size}"
        cached = await self.redis.get(key)
        if cached is not None:
            return cached
        async with self._slots:
            data = await self._make(file, size)
        await self.redis.set(key, data, ex=CACHE_SECONDS)
        return data

    async def _make(self, file: FileRead, size: int) -> bytes:
        with tempfile.TemporaryDirectory(prefix="artstore-thumb-") as tmp:
            source, dest = Path(tmp) / "source", Path(tmp) / "thumb.jpg"
            try:
                await self.downloader.fetch_to(file, source, self.max_source_bytes)
            except ValueError as exc:
                raise NoThumbnail(details={"reason": str(exc)}) from exc
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "query_module.files.thumbnail_child", str(source),
                str(dest), str(size), str(MEMORY_MB), str(int(TIMEOUT_SECONDS)),
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
                start_new_session=True)
            try:
                _, stderr = await asyncio.wait_for(proc.communicate(), TIMEOUT_SECONDS)
            except (TimeoutError, asyncio.CancelledError):
                _kill_group(proc)
                await proc.wait()
                raise NoThumbnail(details={"reason": "decoding timed out"}) from None
            if proc.returncode != 0:
                last = stderr.decode(errors="replace").strip().splitlines()[-1:] or ["crashed"]
                raise NoThumbnail(details={"reason": f"not a readable image: {last[0][:200]}"})
            return await anyio.Path(dest).read_bytes()
