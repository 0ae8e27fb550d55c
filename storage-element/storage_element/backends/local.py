"""Local file system backend: temp file → fsync → rename → fsync of the directory."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from storage_element.naming import STATE_NAME, TEMP_MARKER, is_safe_relpath, is_sidecar


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalWriter:
    def __init__(self, final: Path, temp: Path, root: Path) -> None:
        self.final, self.temp, self.root = final, temp, root
        _make_dirs(final.parent, root)
        self._fh = open(temp, "wb")  # noqa: SIM115 - closed in commit/abort

    def write(self, data: bytes) -> None:
        self._fh.write(data)

    def commit(self) -> None:
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        os.replace(self.temp, self.final)
        _fsync_dir(self.final.parent)

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self._fh.close()
        with contextlib.suppress(FileNotFoundError):
            self.temp.unlink()


def _make_dirs(directory: Path, root: Path) -> None:
    if directory.is_dir():
        return
    missing = []
    current = directory
    while not current.is_dir():
        missing.append(current)
        current = current.parent
    directory.mkdir(parents=True, exist_ok=True)
    for created in reversed(missing):
        _fsync_dir(created.parent)


class LocalBackend:
    kind = "local"

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, relpath: str) -> Path:
        if relpath != STATE_NAME and not is_safe_relpath(relpath.removesuffix(".attr.json")):
            raise ValueError(f"unsafe storage path: {relpath!r}")
        path = (self.root / relpath).resolve()
        if self.root not in path.parents:
            raise ValueError(f"path escapes the root: {relpath!r}")
        return path

    def _temp(self, path: Path) -> Path:
        return path.with_name("." + path.name + TEMP_MARKER)

    def open_writer(self, relpath: str) -> LocalWriter:
        path = self._path(relpath)
        return LocalWriter(path, self._temp(path), self.root)

    def put_bytes(self, relpath: str, data: bytes) -> None:
        writer = self.open_writer(relpath)
        try:
            writer.write(data)
            writer.commit()
        except BaseException:
            writer.abort()
            raise

    def get_bytes(self, relpath: str) -> bytes | None:
        try:
            return self._path(relpath).read_bytes()
        except FileNotFoundError:
            return None

    def open_reader(self, relpath: str, offset: int = 0, length: int | None = None):
        fh = open(self._path(relpath), "rb")  # noqa: SIM115 - closed by the caller
        fh.seek(offset)
        return _BoundedReader(fh, length)

    def size(self, relpath: str) -> int | None:
        try:
            return self._path(relpath).stat().st_size
        except FileNotFoundError:
            return None

    def delete(self, relpath: str) -> None:
        path = self._path(relpath)
        try:
            path.unlink()
        except FileNotFoundError:
            return
        _fsync_dir(path.parent)

    def remove_temps(self, relpath: str) -> None:
        path = self._path(relpath)
        for candidate in (path, path.with_name(path.name + ".attr.json")):
            with contextlib.suppress(FileNotFoundError):
                self._temp(candidate).unlink()

    def walk(self) -> Iterator[tuple[str, int]]:
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames.sort()
            for name in sorted(filenames):
                if name.startswith("."):
                    continue
                full = Path(dirpath) / name
                rel = full.relative_to(self.root).as_posix()
                base = rel.removesuffix(".attr.json") if is_sidecar(rel) else rel
                if not is_safe_relpath(base):
                    continue
                try:
                    yield rel, full.stat().st_size
                except FileNotFoundError:
                    continue

    def cleanup_all_temps(self) -> int:
        removed = 0
        for dirpath, _dirs, filenames in os.walk(self.root):
            for name in filenames:
                if name.startswith(".") and name.endswith(TEMP_MARKER):
                    with contextlib.suppress(FileNotFoundError):
                        (Path(dirpath) / name).unlink()
                        removed += 1
        return removed

    def check(self) -> None:
        if not os.access(self.root, os.W_OK):
            raise RuntimeError(f"{self.root} is not writable")


class _BoundedReader:
    def __init__(self, fh, length: int | None) -> None:
        self._fh = fh
        self._left = length

    def read(self, size: int) -> bytes:
        if self._left is not None:
            if self._left <= 0:
                return b""
            size = min(size, self._left)
        data = self._fh.read(size)
        if self._left is not None:
            self._left -= len(data)
        return data

    def close(self) -> None:
        self._fh.close()
