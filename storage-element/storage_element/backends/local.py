"""Local file system backend: temp file → fsync → rename → fsync of the directory."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import mmap
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


# O_DIRECT wants the buffer, the length and the file offset aligned to the device's logical
# block; 4 KiB is a multiple of every common one. The buffer is an mmap, so page-aligned.
BLOCK = 4096
DIRECT_BUFFER = 1024 * 1024


class LocalWriter:
    """Writes the temp file with O_DIRECT where the file system takes it: bytes go from one
    aligned buffer to the device instead of through the page cache, which cost 1–2.7 CPU s per
    GiB (page allocation and reclaim) on a busy host against ≈0.1 direct. Durability is the
    same either way: fsync of the file, rename, fsync of the directory. The last partial
    block is written buffered (O_DIRECT cleared) before that fsync."""

    def __init__(self, final: Path, temp: Path, root: Path, direct: bool = False) -> None:
        self.final, self.temp, self.root = final, temp, root
        _make_dirs(final.parent, root)
        self._fd = _open_temp(temp, direct)
        self._buf: mmap.mmap | None = None
        self._filled = 0
        if _is_direct(self._fd):
            self._buf = mmap.mmap(-1, DIRECT_BUFFER)

    def write(self, data: bytes) -> None:
        if self._buf is None:
            _write_all(self._fd, data)
            return
        with memoryview(data) as view:
            offset = 0
            while offset < len(view):
                n = min(len(view) - offset, DIRECT_BUFFER - self._filled)
                self._buf[self._filled:self._filled + n] = view[offset:offset + n]
                self._filled += n
                offset += n
                if self._filled == DIRECT_BUFFER:
                    self._drain()

    def _drain(self) -> None:
        """Writes the buffer's whole blocks (directly) and keeps the rest at its start."""
        assert self._buf is not None
        whole = self._filled - self._filled % BLOCK
        if whole:
            with memoryview(self._buf) as view:
                done = 0
                while done < whole:
                    try:
                        done += os.write(self._fd, view[done:whole])
                    except OSError as exc:  # the file system took the open, not the write
                        if exc.errno != errno.EINVAL or not _is_direct(self._fd):
                            raise
                        _clear_direct(self._fd)
            self._buf.move(0, whole, self._filled - whole)
            self._filled -= whole

    def _flush(self) -> None:
        if self._buf is None:
            return
        self._drain()
        if self._filled:
            _clear_direct(self._fd)
            with memoryview(self._buf) as view:
                _write_all(self._fd, view[:self._filled])
            self._filled = 0

    def _close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        if self._buf is not None:
            self._buf.close()
            self._buf = None

    def commit(self) -> None:
        self._flush()
        os.fsync(self._fd)
        self._close()
        os.replace(self.temp, self.final)
        _fsync_dir(self.final.parent)

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self._close()
        with contextlib.suppress(FileNotFoundError):
            self.temp.unlink()


def _open_temp(temp: Path, direct: bool) -> int:
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)
    o_direct = getattr(os, "O_DIRECT", 0)
    if direct and o_direct:
        try:
            return os.open(temp, flags | o_direct, 0o666)
        except OSError as exc:  # e.g. tmpfs: no O_DIRECT
            if exc.errno != errno.EINVAL:
                raise
    return os.open(temp, flags, 0o666)


def _is_direct(fd: int) -> bool:
    return bool(fcntl.fcntl(fd, fcntl.F_GETFL) & getattr(os, "O_DIRECT", 0))


def _clear_direct(fd: int) -> None:
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_DIRECT)


def _write_all(fd: int, data: bytes | memoryview) -> None:
    with memoryview(data) as view:
        while view:
            view = view[os.write(fd, view):]


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

    def __init__(self, root: str | Path, direct_io: bool = True) -> None:
        self.root = Path(root).resolve()
        self.direct_io = direct_io
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
        return LocalWriter(path, self._temp(path), self.root, self.direct_io)

    def put_bytes(self, relpath: str, data: bytes) -> None:
        path = self._path(relpath)
        writer = LocalWriter(path, self._temp(path), self.root)  # small: buffered
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
