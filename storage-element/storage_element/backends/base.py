"""One interface for every backend. All methods are synchronous: call them through a thread.

Paths are relative to the SE's root (a directory or an S3 prefix) and always pass
``naming.is_safe_relpath`` or are the state file; backends check again before touching anything.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol


class Writer(Protocol):
    def write(self, data: bytes) -> None: ...

    def commit(self) -> None:
        """Make the object visible under its final name, durably."""

    def abort(self) -> None:
        """Drop everything written so far; nothing stays behind."""


class Reader(Protocol):
    def read(self, size: int) -> bytes: ...

    def close(self) -> None: ...


class StorageBackend(Protocol):
    kind: str

    def open_writer(self, relpath: str) -> Writer: ...

    def put_bytes(self, relpath: str, data: bytes) -> None:
        """Atomic replace: readers see the old bytes or the new ones, never a mix."""

    def get_bytes(self, relpath: str) -> bytes | None: ...

    def open_reader(self, relpath: str, offset: int = 0, length: int | None = None) -> Reader: ...

    def size(self, relpath: str) -> int | None: ...

    def delete(self, relpath: str) -> None:
        """Idempotent: removing what is not there is fine."""

    def remove_temps(self, relpath: str) -> None:
        """Remove leftovers of an interrupted write of ``relpath`` (and of its sidecar)."""

    def walk(self) -> Iterator[tuple[str, int]]:
        """Every stored object (data and sidecars, no temps, no state file) with its size."""

    def cleanup_all_temps(self) -> int: ...

    def check(self) -> None: ...


class StorageUnavailable(Exception):
    pass


def chunked(reader: Reader, chunk: int) -> Iterator[bytes]:
    try:
        while True:
            data = reader.read(chunk)
            if not data:
                return
            yield data
    finally:
        reader.close()
