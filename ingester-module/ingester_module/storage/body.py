"""The file part's bytes as the body of an SE upload: counted, hashed, and re-sendable from
the start while no more than a small window has been pulled from the client."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Protocol

from ingester_module.errors import FileTooLarge


class ChunkSource(Protocol):
    """The file part's bytes (``uploads.multipart.MultipartReader``; uploads sits above)."""

    async def read_chunk(self) -> bytes | None: ...


class NotReplayable(Exception):
    """More of the file was sent than the replay window holds: it cannot go to another SE."""


class FileBody:
    def __init__(
        self,
        reader: ChunkSource,
        head: list[bytes],
        *,
        part_ended: bool,
        max_size: int,
        replay_limit: int,
        on_end: Callable[[], Awaitable[None]],
    ) -> None:
        self._reader = reader
        self._max_size = max_size
        self._replay_limit = replay_limit
        self._on_end = on_end
        self._hasher = hashlib.sha256()
        self._retained: list[bytes] = []
        self._retained_bytes = 0
        self.size = 0
        self.replayable = True
        self.finished = False  # every byte pulled and the part's end checked
        self._part_ended = part_ended
        self.attempts = 0
        self.error: BaseException | None = None  # what broke the body (the client's fault)
        self.waiting_on_client = False
        self.on_progress: Callable[[bool], None] | None = None  # arg: the body is complete
        for chunk in head:
            self._absorb(chunk)

    @property
    def sha256(self) -> str:
        return self._hasher.hexdigest()

    def _absorb(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self._max_size:
            raise FileTooLarge(self._max_size)
        # Chunks are network-sized (≤ 256 KiB): hashing one is far cheaper than a thread hop.
        self._hasher.update(chunk)
        if self.replayable:
            self._retained.append(chunk)
            self._retained_bytes += len(chunk)
            if self._retained_bytes > self._replay_limit:
                self.replayable = False
                self._retained = []
                self._retained_bytes = 0

    def stream(self) -> AsyncIterator[bytes]:
        if not self.replayable:
            raise NotReplayable()
        self.attempts += 1
        return self._generate(list(self._retained))

    def _progress(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.finished)

    async def _generate(self, replay: list[bytes]) -> AsyncIterator[bytes]:
        try:
            for chunk in replay:
                self._progress()
                yield chunk
            while not self.finished:
                self.waiting_on_client = True
                try:
                    chunk = None if self._part_ended else await self._reader.read_chunk()
                    if chunk is None:
                        self._part_ended = True
                        # The SE gets the end of the body only once the next part's headers
                        # (or the closing boundary) are seen: a bad request stores nothing.
                        await self._on_end()
                        self.finished = True
                        self._progress()
                        return
                    self._absorb(chunk)
                finally:
                    self.waiting_on_client = False
                self._progress()
                yield chunk
        except Exception as exc:
            self.error = exc  # the HTTP client wraps it; the caller re-raises the original
            raise
