"""``attr.json``: build, encode (≤ 4 KiB, UTF-8) and parse the sidecar."""

from __future__ import annotations

import json
from typing import Any

from artstore_common.contracts import ATTR_MAX_BYTES, FileAttributes
from storage_element.errors import SidecarTooLarge


def encode(attrs: dict[str, Any]) -> bytes:
    data = json.dumps(attrs, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    if len(data) > ATTR_MAX_BYTES:
        raise SidecarTooLarge(details={"size": len(data), "limit": ATTR_MAX_BYTES})
    return data


def decode(data: bytes) -> dict[str, Any]:
    """Parse and validate; raises ``ValueError`` on anything that is not a usable sidecar."""
    raw = json.loads(data.decode("utf-8"))
    if not isinstance(raw, dict):
        raise ValueError("sidecar is not an object")
    FileAttributes.model_validate(raw)
    return raw


def to_attributes(attrs: dict[str, Any]) -> FileAttributes:
    return FileAttributes.model_validate(attrs)


def stored_size(attrs: dict[str, Any]) -> int:
    comp = attrs.get("compression") or None
    return int(comp["stored_size"]) if comp else int(attrs["size"])


def stored_sha256(attrs: dict[str, Any]) -> str | None:
    comp = attrs.get("compression") or None
    return comp.get("stored_sha256") if comp else attrs.get("sha256")
