"""Usage from the index plus in-memory reservations for uploads in flight, so concurrent
uploads can never together overfill the SE.

Summing the index for every upload cost a full scan per file under the lock; the sum is now
read at most every REFRESH_SECONDS (and after a delete), and bytes committed since that read
are added on top. A byte counted both in the sum and on top only makes the SE refuse a little
early, never overfill it; this relies on one process per volume (see README.md).
"""

from __future__ import annotations

import asyncio
import itertools
import time

from sqlalchemy.ext.asyncio import async_sessionmaker

from storage_element import repository as repo
from storage_element.errors import InsufficientStorage

REFRESH_SECONDS = 5.0


class Capacity:
    def __init__(self, sessionmaker: async_sessionmaker, capacity_bytes: int) -> None:
        self.sessionmaker = sessionmaker
        self.capacity_bytes = capacity_bytes
        self._reserved: dict[int, int] = {}
        self._ids = itertools.count(1)
        self._lock = asyncio.Lock()
        self._indexed: int | None = None  # the sum as last read from the index
        self._read_at = 0.0
        self._commits = 0  # sequence number of the last stored() call
        self._since: list[tuple[int, int]] = []  # (sequence, bytes) committed after that read

    @property
    def reserved_bytes(self) -> int:
        return sum(self._reserved.values())

    @property
    def in_flight(self) -> int:
        return len(self._reserved)

    async def usage(self) -> tuple[int, int]:
        async with self.sessionmaker() as session:
            return await repo.usage(session)

    async def _used(self) -> int:
        if self._indexed is None or time.monotonic() - self._read_at > REFRESH_SECONDS:
            # A commit reported before this read is in it; later ones stay on top.
            seen = self._commits
            self._indexed, _count = await self.usage()
            self._read_at = time.monotonic()
            self._since = [(seq, size) for seq, size in self._since if seq > seen]
        return self._indexed + sum(size for _seq, size in self._since)

    async def reserve(self, size: int) -> int:
        async with self._lock:
            free = self.capacity_bytes - await self._used() - self.reserved_bytes
            if size > free:
                raise InsufficientStorage(
                    details={"requested": size, "available": max(free, 0),
                             "capacity": self.capacity_bytes},
                )
            token = next(self._ids)
            self._reserved[token] = size
            return token

    def stored(self, size: int) -> None:
        """An upload's index row is committed (call before releasing its reservation)."""
        self._commits += 1
        self._since.append((self._commits, size))

    def freed(self) -> None:
        """Bytes left the index: read the sum again at the next reservation."""
        self._indexed = None

    def release(self, token: int) -> None:
        self._reserved.pop(token, None)
