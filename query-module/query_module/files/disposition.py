"""``Content-Disposition`` with the original Unicode name (RFC 6266 + RFC 5987)."""

from __future__ import annotations

import os
import re
import unicodedata
from urllib.parse import quote

_UNSAFE_ASCII = re.compile(r"[^A-Za-z0-9 !#$&+\-.^_`|~()\[\]{},;=@']")
_ATTR_CHARS = "!#$&+-.^_`|~"


def ascii_fallback(filename: str) -> str:
    decomposed = unicodedata.normalize("NFKD", filename)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    stem, ext = os.path.splitext(stripped)
    stem = _UNSAFE_ASCII.sub("_", stem).strip(" ._")
    ext = _UNSAFE_ASCII.sub("", ext)
    if not re.search(r"[A-Za-z0-9]", stem):
        stem = "download"
    return (stem + ext)[:200]


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    encoded = quote(filename, safe=_ATTR_CHARS)
    return f"{disposition}; filename=\"{ascii_fallback(filename)}\"; filename*=UTF-8''{encoded}"
