"""A walk over the SE's storage: data objects and their sidecars (synchronous; use a thread)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from storage_element import sidecar
from storage_element.backends import StorageBackend
from storage_element.naming import SIDECAR_SUFFIX, is_sidecar


@dataclass
class StorageScan:
    data: dict[str, int] = field(default_factory=dict)  # data path → stored size
    sidecars: dict[str, dict[str, Any]] = field(default_factory=dict)  # data path → attrs
    unreadable: list[str] = field(default_factory=list)  # sidecar paths that do not parse

    def file_id_of(self, path: str) -> uuid.UUID | None:
        attrs = self.sidecars.get(path)
        return uuid.UUID(str(attrs["file_id"])) if attrs else None


def scan(backend: StorageBackend) -> StorageScan:
    result = StorageScan()
    sidecar_paths = []
    for relpath, size in backend.walk():
        if is_sidecar(relpath):
            sidecar_paths.append(relpath)
        else:
            result.data[relpath] = size
    for path in sidecar_paths:
        data_path = path.removesuffix(SIDECAR_SUFFIX)
        raw = backend.get_bytes(path)
        if raw is None:
            continue
        try:
            attrs = sidecar.decode(raw)
            if str(attrs["file_id"]) not in data_path.rsplit("/", 1)[-1]:
                raise ValueError("sidecar file_id does not match its name")
        except (ValueError, KeyError, UnicodeError):
            result.unreadable.append(path)
            continue
        result.sidecars[data_path] = attrs
    return result
