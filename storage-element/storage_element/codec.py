"""Compression on write, decompression on read, hashing of both sides; all synchronous
(run in a worker thread). Output is produced in bounded pieces so a highly compressible
file cannot balloon memory on the way out.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterator
from typing import Any

import brotli
import zstandard

from storage_element.backends.base import Writer

SAMPLE_BYTES = 256 * 1024
# A stored stream that fails to decode is damaged data (quarantine); I/O errors are not.
DECODE_ERRORS: tuple[type[BaseException], ...] = (
    zlib.error, brotli.error, zstandard.ZstdError, ValueError)
MIN_SAVING = 0.10
PIECE = 1024 * 1024


class _Gzip:
    def __init__(self) -> None:
        self._c = zlib.compressobj(6, zlib.DEFLATED, 31)

    def compress(self, data: bytes) -> bytes:
        return self._c.compress(data)

    def flush(self) -> bytes:
        return self._c.flush()


class _Brotli:
    def __init__(self) -> None:
        self._c = brotli.Compressor(quality=5)

    def compress(self, data: bytes) -> bytes:
        return self._c.process(data)

    def flush(self) -> bytes:
        return self._c.finish()


class _Zstd:
    def __init__(self) -> None:
        self._c = zstandard.ZstdCompressor(level=3).compressobj()

    def compress(self, data: bytes) -> bytes:
        return self._c.compress(data)

    def flush(self) -> bytes:
        return self._c.flush()


COMPRESSORS: dict[str, Any] = {"gzip": _Gzip, "br": _Brotli, "zstd": _Zstd}


def pays_off(algorithm: str, sample: bytes) -> bool:
    if not sample:
        return False
    probe = COMPRESSORS[algorithm]()
    size = len(probe.compress(sample)) + len(probe.flush())
    return size <= len(sample) * (1 - MIN_SAVING)


class WritePipeline:
    """Hash original bytes, maybe compress, hash stored bytes, hand them to the backend."""

    def __init__(self, writer: Writer, algorithm: str | None) -> None:
        self.writer = writer
        self.requested = algorithm
        self.algorithm: str | None = None
        self._decided = algorithm is None
        self._compressor: Any = None
        self.sha = hashlib.sha256()
        self._stored_sha = hashlib.sha256()
        self.size = 0
        self.stored_size = 0

    def _emit(self, data: bytes) -> None:
        if data:
            if self._compressor:  # else the stored bytes are the original ones, hashed once
                self._stored_sha.update(data)
            self.stored_size += len(data)
            self.writer.write(data)

    def feed(self, data: bytes) -> None:
        if not self._decided:
            self._decided = True
            if self.requested and pays_off(self.requested, data[:SAMPLE_BYTES]):
                self.algorithm = self.requested
                self._compressor = COMPRESSORS[self.requested]()
        self.sha.update(data)
        self.size += len(data)
        self._emit(self._compressor.compress(data) if self._compressor else data)

    def feed_pieces(self, pieces: list[bytes]) -> None:
        """As ``feed(b"".join(pieces))`` without that copy when the bytes are stored as they
        come (the writer copies them into its own buffer anyway)."""
        if not self._decided or self._compressor:
            self.feed(b"".join(pieces))
            return
        for data in pieces:
            self.sha.update(data)
            self.size += len(data)
            self._emit(data)

    @property
    def stored_sha256(self) -> str:
        return (self._stored_sha if self._compressor else self.sha).hexdigest()

    def finish(self) -> None:
        if not self._decided:  # empty body
            self._decided = True
        if self._compressor:
            self._emit(self._compressor.flush())

    def commit(self) -> None:
        self.writer.commit()

    def abort(self) -> None:
        self.writer.abort()


def decompress(chunks: Iterator[bytes], algorithm: str) -> Iterator[bytes]:
    if algorithm == "gzip":
        d = zlib.decompressobj(31)
        for chunk in chunks:
            buf = chunk
            while buf:
                out = d.decompress(buf, PIECE)
                buf = d.unconsumed_tail
                if out:
                    yield out
        tail = d.flush()
        if tail:
            yield tail
    elif algorithm == "br":
        b = brotli.Decompressor()
        for chunk in chunks:
            out = b.process(chunk, output_buffer_limit=PIECE)
            if out:
                yield out
            while not b.can_accept_more_data():
                out = b.process(b"", output_buffer_limit=PIECE)
                if out:
                    yield out
        if not b.is_finished():
            raise ValueError("truncated brotli stream")
    elif algorithm == "zstd":
        z = zstandard.ZstdDecompressor()
        reader = z.stream_reader(_IterReader(chunks), read_size=64 * 1024)
        while True:
            out = reader.read(PIECE)
            if not out:
                return
            yield out
    else:
        raise ValueError(f"unknown compression {algorithm!r}")


class _IterReader:
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._it = chunks
        self._buf = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buf) < size:
            try:
                self._buf += next(self._it)
            except StopIteration:
                break
        if size < 0:
            size = len(self._buf)
        out, self._buf = self._buf[:size], self._buf[size:]
        return out


def slice_stream(chunks: Iterator[bytes], offset: int, length: int | None) -> Iterator[bytes]:
    """Skip ``offset`` bytes and yield at most ``length`` (used for ranges on compressed data)."""
    skip, left = offset, length
    for chunk in chunks:
        if skip:
            if len(chunk) <= skip:
                skip -= len(chunk)
                continue
            chunk, skip = chunk[skip:], 0
        if left is not None:
            chunk = chunk[:left]
            left -= len(chunk)
        if chunk:
            yield chunk
        if left is not None and left <= 0:
            return
