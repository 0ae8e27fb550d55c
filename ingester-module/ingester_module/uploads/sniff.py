"""What a file is: its sanitized name, its real type (magic bytes), whether to compress it."""

from __future__ import annotations

import mimetypes
import unicodedata
from dataclasses import dataclass

import filetype

from ingester_module.errors import FileTypeNotAllowed, InvalidField

MAX_FILENAME_CHARS = 255

# filetype does not know these; checked before it.
_EXTRA_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"wOF2", "font/woff2"),
    (b"wOFF", "font/woff"),
)

# Formats that are compressed already: compressing them again only costs CPU.
_COMPRESSED_TYPES = frozenset(
    {
        "application/zip", "application/x-zip-compressed", "application/gzip",
        "application/x-gzip", "application/x-bzip2", "application/x-xz", "application/zstd",
        "application/x-zstd", "application/x-7z-compressed", "application/x-rar-compressed",
        "application/vnd.rar", "application/x-brotli", "application/x-lzip",
        "application/x-lz4", "application/x-compress", "application/java-archive",
        "application/epub+zip", "application/vnd.android.package-archive",
        "image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/heic",
        "image/heif", "image/jxl", "image/jp2", "font/woff", "font/woff2",
        "audio/mpeg", "audio/mp4", "audio/aac", "audio/ogg", "audio/opus", "audio/flac",
        "audio/webm", "audio/x-m4a",
    }
)
_COMPRESSED_PREFIXES = (
    "video/",
    "application/vnd.openxmlformats-officedocument.",  # docx/xlsx/pptx are zip files
    "application/vnd.oasis.opendocument.",
    "application/vnd.ms-cab",
)
_COMPRESSED_EXTENSIONS = frozenset(
    {
        ".zip", ".gz", ".tgz", ".bz2", ".xz", ".txz", ".zst", ".7z", ".rar", ".br", ".lz",
        ".lz4", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".heic", ".mp4", ".mkv",
        ".mov", ".avi", ".webm", ".mp3", ".m4a", ".aac", ".ogg", ".opus", ".flac", ".woff",
        ".woff2", ".docx", ".xlsx", ".pptx", ".odt", ".ods", ".odp", ".jar", ".apk", ".epub",
    }
)


def sanitize_filename(raw: str) -> str:
    """The display name to keep: last path component, no control characters, NFC."""
    name = unicodedata.normalize("NFC", raw)
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        " " if unicodedata.category(ch) in ("Zl", "Zp") or ch in "\t\r\n" else ch
        for ch in name
        if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co") or ch in "\t\r\n"
    )
    name = " ".join(name.split()).strip(" .")
    if not name:
        raise InvalidField(
            "The file name is empty once path and control characters are removed",
            code="INVALID_FILENAME",
        )
    if len(name) > MAX_FILENAME_CHARS:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 16:
            name = stem[: MAX_FILENAME_CHARS - len(ext) - 1] + "." + ext
        else:
            name = name[:MAX_FILENAME_CHARS]
    return name


def _bare(content_type: str | None) -> str | None:
    if not content_type:
        return None
    value = content_type.split(";", 1)[0].strip().lower()
    return value or None


def magic_type(head: bytes) -> str | None:
    for signature, mime in _EXTRA_MAGIC:
        if head.startswith(signature):
            return mime
    return filetype.guess_mime(head) if head else None


@dataclass(frozen=True)
class TypeInfo:
    content_type: str  # what the file is recorded as
    declared: str | None
    detected: str | None  # from magic bytes; None for formats without a signature (text...)


def identify(filename: str, declared: str | None, head: bytes) -> TypeInfo:
    declared = _bare(declared)
    detected = magic_type(head)
    guessed = _bare(mimetypes.guess_type(filename, strict=False)[0])
    usable = declared if declared and declared != "application/octet-stream" else None
    content_type = detected or usable or guessed or "application/octet-stream"
    return TypeInfo(content_type=content_type, declared=declared, detected=detected)


def _matches(content_type: str, pattern: str) -> bool:
    if pattern.endswith("/*"):
        return content_type.startswith(pattern[:-1])
    return content_type == pattern


def check_allowed(info: TypeInfo, allowed: list[str]) -> None:
    """The magic bytes decide when the format has a signature; a declared type cannot
    smuggle, say, an executable in as text/plain."""
    if not allowed:
        return
    if not any(_matches(info.content_type, pattern) for pattern in allowed):
        raise FileTypeNotAllowed(
            f"Files of type {info.content_type} are not accepted",
            details={
                "content_type": info.content_type,
                "detected": info.detected,
                "declared": info.declared,
                "allowed": allowed,
            },
        )


def is_compressed_format(filename: str, info: TypeInfo) -> bool:
    for candidate in (info.detected, info.declared, info.content_type):
        if candidate and (
            candidate in _COMPRESSED_TYPES or candidate.startswith(_COMPRESSED_PREFIXES)
        ):
            return True
    dot = filename.rfind(".")
    return dot >= 0 and filename[dot:].lower() in _COMPRESSED_EXTENSIONS


def compression_for(requested: str | None, filename: str, info: TypeInfo) -> str | None:
    """The algorithm to ask the SE for, or None. Whether it pays is the SE's call."""
    if requested is None or is_compressed_format(filename, info):
        return None
    return requested
