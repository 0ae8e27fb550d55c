"""Exact usage from the index plus in-memory reservations for uploads in flight, so
concurrent uploads can never together overfill the SE."""

from __future__ import annotations

import asyncio
import itertools

from sqlalchemy.ext.asyncio import async_sessionmaker

from storage_element import repository as repo
from storage_element.errors import InsufficientStorage


class Capacity:
    def __init__(self, sessionmaker: async_sessionmaker, capacity_bytes: int) -> None:
        self.sessionmaker = sessionmaker
        self.capacity_bytes = capacity_bytes
        self._reserved: dict[int, int] = {}
        self._ids = itertools.count(1)
        self._lock = asyncio.Lock()

    @property
    def reserved_bytes(self) -> int:
        return sum(self._reserved.values())

    @property
    def in_flight(self) -> int:
        return len(self._reserved)

    async def usage(self) -> tuple[int, int]:
        async with self.sessionmaker() as session:
            return await repo.usage(session)

    async def reserve(self, size: int) -> int:
        async with self._lock:
            used, _count = await self.usage()
            free = self.capacity_bytes - used - self.reserved_bytes
            if size > free:
                raise InsufficientStorage(
                    details={"requested": size, "available": max(free, 0),
                             "capacity": self.capacity_bytes},
                )
            token = next(self._ids)
            self._reserved[token] = size
            return token

    def release(self, token: int) -> None:
        self._reserved.pop(token, None)
