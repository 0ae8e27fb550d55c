"""Pull-style reader over a streamed multipart/form-data body.

python-multipart's push parser is fed one network chunk at a time and its callbacks queue
events; consumers pull parts and data chunks. Nothing is spooled and at most one network
chunk's worth of events is held, so memory does not depend on the file size, and the client
is only read as fast as the consumer (the storage element) takes the bytes.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import unquote

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from ingester_module.errors import MalformedMultipart, NotMultipart

MAX_BOUNDARY = 70  # RFC 2046 §5.1.1
_FILENAME_STAR = re.compile(rb"filename\*\s*=\s*([A-Za-z0-9_-]+)'[^']*'([^;\s]+)", re.IGNORECASE)


@dataclass(frozen=True)
class PartInfo:
    name: str
    filename: str | None
    content_type: str | None

    @property
    def is_file(self) -> bool:
        return self.filename is not None


def boundary_from(content_type: str | None) -> bytes:
    if not content_type:
        raise NotMultipart()
    kind, params = parse_options_header(content_type)
    if kind != b"multipart/form-data":
        raise NotMultipart()
    boundary = params.get(b"boundary")
    if not boundary:
        raise MalformedMultipart("The multipart/form-data content type has no boundary")
    if len(boundary) > MAX_BOUNDARY:
        raise MalformedMultipart(f"The multipart boundary is longer than {MAX_BOUNDARY} characters")
    return boundary


def _decode(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedMultipart("Part headers must be UTF-8 (RFC 7578)") from exc
    if "\x00" in text:
        raise MalformedMultipart("Part headers must not contain NUL characters")
    return text


def _part_info(headers: dict[bytes, bytes]) -> PartInfo:
    disposition = headers.get(b"content-disposition")
    if disposition is None:
        raise MalformedMultipart("A part has no Content-Disposition header")
    kind, params = parse_options_header(disposition)
    if kind != b"form-data" or b"name" not in params:
        raise MalformedMultipart("A part's Content-Disposition is not form-data with a name")
    filename: str | None = None
    star = _FILENAME_STAR.search(disposition)
    if star:
        if star.group(1).lower() != b"utf-8":
            raise MalformedMultipart("filename* must use the UTF-8 charset")
        try:
            filename = unquote(star.group(2).decode("ascii"), errors="strict")
        except UnicodeError as exc:
            raise MalformedMultipart("filename* is not valid percent-encoded UTF-8") from exc
        if "\x00" in filename:
            raise MalformedMultipart("Part headers must not contain NUL characters")
    elif b"filename" in params:
        filename = _decode(params[b"filename"])
    ctype = headers.get(b"content-type")
    return PartInfo(
        name=_decode(params[b"name"]),
        filename=filename,
        content_type=_decode(ctype).strip().lower() if ctype else None,
    )


class MultipartReader:
    """``next_part()`` → the next part's headers (skipping unread data of the current one);
    ``read_chunk()`` → the next piece of the current part, ``None`` at its end.
    """

    def __init__(self, body: AsyncIterator[bytes], boundary: bytes) -> None:
        self._body = body
        self._events: deque[tuple[str, object]] = deque()
        self._headers: dict[bytes, bytes] = {}
        self._field = bytearray()
        self._value = bytearray()
        self._data: list[bytes] = []
        self._finished = False
        self._exhausted = False
        self._in_part = False
        self._pending: PartInfo | None = None
        self.bytes_read = 0
        self._parser = MultipartParser(
            boundary,
            callbacks={
                "on_part_begin": self._on_part_begin,
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_header_end": self._on_header_end,
                "on_headers_finished": self._on_headers_finished,
                "on_part_data": self._on_part_data,
                "on_part_end": self._on_part_end,
                "on_end": self._on_end,
            },
        )

    # --- parser callbacks (synchronous, called from write()) ---------------------------
    def _on_part_begin(self) -> None:
        self._headers = {}

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _on_header_end(self) -> None:
        self._headers[bytes(self._field).strip().lower()] = bytes(self._value).strip()
        self._field.clear()
        self._value.clear()

    def _on_headers_finished(self) -> None:
        self._events.append(("part", _part_info(self._headers)))

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        self._data.append(data[start:end])

    def _flush_data(self) -> None:
        if self._data:
            self._events.append(("data", b"".join(self._data)))
            self._data = []

    def _on_part_end(self) -> None:
        self._flush_data()
        self._events.append(("end", None))

    def _on_end(self) -> None:
        self._events.append(("finish", None))

    # --- pulling ----------------------------------------------------------------------
    async def _next_event(self) -> tuple[str, object]:
        while not self._events:
            if self._exhausted:
                raise MalformedMultipart("The multipart body ended before its closing boundary")
            try:
                chunk = await anext(self._body)
            except StopAsyncIteration:
                self._exhausted = True
                continue
            if not chunk:
                continue
            self.bytes_read += len(chunk)
            try:
                self._parser.write(chunk)
            except MultipartParseError as exc:
                raise MalformedMultipart(details={"reason": str(exc)}) from exc
            self._flush_data()
        return self._events.popleft()

    async def next_part(self) -> PartInfo | None:
        """The next part, or ``None`` once the closing boundary has been read."""
        if self._pending is not None:
            part, self._pending = self._pending, None
            self._in_part = True
            return part
        while not self._finished:
            kind, value = await self._next_event()
            if kind == "part":
                self._in_part = True
                assert isinstance(value, PartInfo)
                return value
            if kind == "finish":
                self._finished = True
        return None

    async def peek_part(self) -> PartInfo | None:
        """The part after the current one without entering it (``None`` at the end)."""
        if self._pending is None:
            self._pending = await self.next_part()
            self._in_part = False
        return self._pending

    async def read_chunk(self) -> bytes | None:
        if not self._in_part:
            return None
        while True:
            kind, value = await self._next_event()
            if kind == "data":
                assert isinstance(value, bytes)
                if value:
                    return value
            elif kind == "end":
                self._in_part = False
                return None
            elif kind == "finish":  # pragma: no cover - the parser always ends parts first
                self._in_part = False
                self._finished = True
                return None

    async def read_field(self, limit: int) -> bytes:
        value = bytearray()
        while (chunk := await self.read_chunk()) is not None:
            value += chunk
            if len(value) > limit:
                raise MalformedMultipart(
                    f"A form field is longer than {limit} bytes", code="FIELD_TOO_LARGE",
                    status_code=422,
                )
        return bytes(value)

    async def drain(self) -> None:
        """Read (and discard) the rest of the body so the connection stays usable."""
        while not self._finished:
            kind, _ = await self._next_event()
            if kind == "finish":
                self._finished = True
