"""Physical names per SPEC §2.2: ``YYYY/MM/DD/HH/<stem>_<user>_<YYYYMMDDTHHMMSS>_<id><ext>``.

Names keep Unicode letters and digits, replace everything else that could matter to a file
system or a URL, and stay within 200 characters (and 255 bytes with the sidecar suffix, the
usual NAME_MAX), shortening the stem first. Nothing in a name can climb out of the root: no
separators, no leading dots, and the file id is always part of it.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from uuid import UUID

SIDECAR_SUFFIX = ".attr.json"
TEMP_MARKER = ".part"
STATE_NAME = ".se-state.json"
MAX_NAME_CHARS = 200 - len(SIDECAR_SUFFIX)  # the sidecar name stays within 200 too
MAX_NAME_BYTES = 255 - len(SIDECAR_SUFFIX) - len(TEMP_MARKER) - 1
_EXT_RE = re.compile(r"^\.[^\W_]{1,16}$")


def _clean(text: str, limit: int) -> str:
    text = unicodedata.normalize("NFC", text)
    out = []
    for ch in text:
        if ch.isalnum() or ch in "-":
            out.append(ch)
        else:
            out.append("_")
    cleaned = re.sub(r"_+", "_", "".join(out)).strip("_-")
    return cleaned[:limit]


def split_name(original: str) -> tuple[str, str]:
    base = unicodedata.normalize("NFC", original).replace("\\", "/").rsplit("/", 1)[-1]
    dot = base.rfind(".")
    if dot > 0:
        ext = base[dot:].lower()
        if _EXT_RE.match(ext):
            return base[:dot], ext
    return base, ""


def storage_filename(original: str, user: str, created_at: datetime, file_id: UUID) -> str:
    stem_raw, ext = split_name(original)
    stem = _clean(stem_raw, MAX_NAME_CHARS) or "file"
    who = _clean(user, 32) or "unknown"
    stamp = created_at.astimezone(UTC).strftime("%Y%m%dT%H%M%S")
    tail = f"_{who}_{stamp}_{file_id}{ext}"
    while stem and (
        len(stem) + len(tail) > MAX_NAME_CHARS
        or len((stem + tail).encode("utf-8")) > MAX_NAME_BYTES
    ):
        stem = stem[:-1]
    return (stem.rstrip("_-") or "file") + tail


def directory_for(created_at: datetime) -> str:
    return created_at.astimezone(UTC).strftime("%Y/%m/%d/%H")


def storage_path(original: str, user: str, created_at: datetime, file_id: UUID) -> str:
    return f"{directory_for(created_at)}/{storage_filename(original, user, created_at, file_id)}"


def sidecar_path(data_path: str) -> str:
    return data_path + SIDECAR_SUFFIX


_SAFE_REL = re.compile(r"^\d{4}/\d{2}/\d{2}/\d{2}/[^/\\\x00]+$")


def is_safe_relpath(relpath: str) -> bool:
    """Only our own layout is ever touched, whatever a sidecar or a request claims."""
    if not _SAFE_REL.match(relpath):
        return False
    name = relpath.rsplit("/", 1)[-1]
    return not name.startswith(".") and ".." not in relpath.split("/")


def is_sidecar(relpath: str) -> bool:
    return relpath.endswith(SIDECAR_SUFFIX)


def is_temp(relpath: str) -> bool:
    return relpath.rsplit("/", 1)[-1].startswith(".") or relpath.endswith(TEMP_MARKER)


def now_utc() -> datetime:
    return datetime.now(UTC)
