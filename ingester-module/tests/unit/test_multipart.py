"""The streaming multipart reader, fed in awkward chunk sizes."""

from __future__ import annotations

import pytest

from ingester_module.errors import MalformedMultipart, NotMultipart
from ingester_module.uploads.multipart import MultipartReader, boundary_from

BOUNDARY = "----artstoreBoundary7"


def build(parts: list[tuple[str, str | None, bytes]], *, close: bool = True) -> bytes:
    out = b""
    for name, filename, data in parts:
        out += f"--{BOUNDARY}\r\n".encode()
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out += f"Content-Disposition: {disposition}\r\n".encode()
        if filename is not None:
            out += b"Content-Type: application/octet-stream\r\n"
        out += b"\r\n" + data + b"\r\n"
    if close:
        out += f"--{BOUNDARY}--\r\n".encode()
    return out


async def chunks(raw: bytes, size: int):
    for i in range(0, len(raw), size):
        yield raw[i : i + size]


async def collect(reader: MultipartReader) -> list[tuple[str, str | None, bytes]]:
    parts = []
    while (part := await reader.next_part()) is not None:
        data = b""
        while (chunk := await reader.read_chunk()) is not None:
            data += chunk
        parts.append((part.name, part.filename, data))
    return parts


class TestMultipartReader:
    @pytest.mark.parametrize("size", [1, 7, 64, 4096, 1 << 20])
    async def test_fields_and_file_any_chunking(self, size: int) -> None:
        payload = bytes(range(256)) * 40 + b"\r\n--not-the-boundary\r\n"
        raw = build([("retention_policy", None, b"temporary"), ("file", "a.bin", payload)])
        reader = MultipartReader(chunks(raw, size), BOUNDARY.encode())
        assert await collect(reader) == [
            ("retention_policy", None, b"temporary"),
            ("file", "a.bin", payload),
        ]

    async def test_unicode_filename(self) -> None:
        raw = build([("file", "отчёт 2024.pdf", b"x")])
        reader = MultipartReader(chunks(raw, 5), BOUNDARY.encode())
        part = await reader.next_part()
        assert part is not None and part.filename == "отчёт 2024.pdf" and part.is_file

    async def test_rfc5987_filename(self) -> None:
        raw = (
            f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename*=UTF-8''%D0%B0%D0%B1.txt\r\n\r\nx\r\n--{BOUNDARY}--\r\n"
        ).encode()
        part = await MultipartReader(chunks(raw, 3), BOUNDARY.encode()).next_part()
        assert part is not None and part.filename == "аб.txt"

    async def test_truncated_body_is_malformed(self) -> None:
        raw = build([("file", "a.bin", b"0123456789" * 100)], close=False)[:-20]
        reader = MultipartReader(chunks(raw, 100), BOUNDARY.encode())
        with pytest.raises(MalformedMultipart):
            await collect(reader)

    async def test_garbage_is_malformed(self) -> None:
        reader = MultipartReader(chunks(b"this is not multipart at all" * 10, 16),
                                 BOUNDARY.encode())
        with pytest.raises(MalformedMultipart):
            await collect(reader)

    async def test_peek_then_next_returns_same_part(self) -> None:
        raw = build([("file", "a", b"1"), ("file", "b", b"2")])
        reader = MultipartReader(chunks(raw, 9), BOUNDARY.encode())
        await reader.next_part()
        assert await reader.read_chunk() == b"1"
        assert await reader.read_chunk() is None
        peeked = await reader.peek_part()
        assert peeked is not None and peeked.filename == "b"
        assert await reader.read_chunk() is None  # peeking does not enter the part
        again = await reader.next_part()
        assert again == peeked
        assert await reader.read_chunk() == b"2"

    async def test_peek_at_end_is_none(self) -> None:
        raw = build([("file", "a", b"1")])
        reader = MultipartReader(chunks(raw, 2), BOUNDARY.encode())
        await reader.next_part()
        while await reader.read_chunk() is not None:
            pass
        assert await reader.peek_part() is None

    async def test_field_over_limit(self) -> None:
        raw = build([("description", None, b"x" * 100)])
        reader = MultipartReader(chunks(raw, 10), BOUNDARY.encode())
        await reader.next_part()
        with pytest.raises(MalformedMultipart) as info:
            await reader.read_field(50)
        assert info.value.status_code == 422


class TestBoundary:
    def test_not_multipart(self) -> None:
        with pytest.raises(NotMultipart):
            boundary_from("application/json")
        with pytest.raises(NotMultipart):
            boundary_from(None)

    def test_missing_boundary(self) -> None:
        with pytest.raises(MalformedMultipart):
            boundary_from("multipart/form-data")

    def test_boundary(self) -> None:
        assert boundary_from(f"multipart/form-data; boundary={BOUNDARY}") == BOUNDARY.encode()


# issue 14: strict multipart headers -------------------------------------------------------
def test_boundary_longer_than_rfc_2046_allows_is_refused():
    with pytest.raises(MalformedMultipart):
        boundary_from("multipart/form-data; boundary=" + "b" * 71)
    assert boundary_from("multipart/form-data; boundary=" + "b" * 70) == b"b" * 70


def _single(disposition: bytes) -> bytes:
    return (f"--{BOUNDARY}\r\nContent-Disposition: ".encode() + disposition
            + f"\r\n\r\ndata\r\n--{BOUNDARY}--\r\n".encode())


@pytest.mark.parametrize("disposition", [
    b'form-data; name="file"; filename="caf\xe9.txt"',  # Latin-1, not UTF-8
    b'form-data; name="file"; filename="\xff\xfe"',
    b"form-data; name=\"file\"; filename*=latin-1''caf%E9.txt",
    b"form-data; name=\"file\"; filename*=utf-8''caf%E9.txt",  # not UTF-8 once decoded
    b"form-data; name=\"file\"; filename*=utf-8''a%00.txt",
])
async def test_filenames_that_are_not_utf8_are_refused(disposition):
    reader = MultipartReader(chunks(_single(disposition), 7), BOUNDARY.encode())
    with pytest.raises(MalformedMultipart):
        await reader.next_part()


async def test_utf8_filenames_are_kept():
    for disposition in ('form-data; name="file"; filename="Счёт.txt"'.encode(),
                        b"form-data; name=\"file\"; filename*=UTF-8''%D0%A1%D1%87%D1%91%D1%82.txt"):
        reader = MultipartReader(chunks(_single(disposition), 5), BOUNDARY.encode())
        assert (await reader.next_part()).filename == "Счёт.txt"
