"""The local backend's writer: O_DIRECT where the file system takes it, buffered elsewhere;
the same bytes either way, nothing left behind on abort."""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
from pathlib import Path

import pytest

from storage_element.backends.local import BLOCK, DIRECT_BUFFER, LocalBackend

SIZES = [0, 1, BLOCK - 1, BLOCK, DIRECT_BUFFER, DIRECT_BUFFER + 123, 3 * DIRECT_BUFFER + 5]


def takes_o_direct(directory: Path) -> bool:
    probe = directory / "probe"
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_DIRECT, 0o600))
    except OSError as exc:
        if exc.errno == errno.EINVAL:
            return False
        raise
    probe.unlink()
    return True


def write_in_pieces(backend: LocalBackend, relpath: str, data: bytes) -> bool:
    writer = backend.open_writer(relpath)
    direct = writer._buf is not None
    pieces = [1, 7000, 65536, DIRECT_BUFFER - 3, 5 * DIRECT_BUFFER]
    offset = i = 0
    while offset < len(data):
        writer.write(data[offset:offset + pieces[i % len(pieces)]])
        offset += pieces[i % len(pieces)]
        i += 1
    writer.commit()
    return direct


@pytest.mark.parametrize("size", SIZES)
def test_direct_writes_store_exactly_the_bytes(tmp_path: Path, size: int) -> None:
    backend = LocalBackend(tmp_path / "se")
    data = os.urandom(size)
    direct = write_in_pieces(backend, "2026/01/01/00/f.bin", data)
    assert direct == takes_o_direct(backend.root)
    assert backend.get_bytes("2026/01/01/00/f.bin") == data
    assert not [p for p in backend.root.rglob(".*")]  # no temp file left


def test_buffered_when_switched_off_or_not_supported(tmp_path: Path) -> None:
    data = os.urandom(DIRECT_BUFFER + 77)
    backend = LocalBackend(tmp_path / "off", direct_io=False)
    assert write_in_pieces(backend, "2026/01/01/00/f.bin", data) is False
    assert backend.get_bytes("2026/01/01/00/f.bin") == data
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK) and not takes_o_direct(shm):
        root = shm / f"artstore-test-{os.getpid()}"
        try:
            tmpfs = LocalBackend(root)
            # tmpfs refuses O_DIRECT
            assert write_in_pieces(tmpfs, "2026/01/01/00/f.bin", data) is False
            assert tmpfs.get_bytes("2026/01/01/00/f.bin") == data
        finally:
            shutil.rmtree(root, ignore_errors=True)


def test_abort_leaves_nothing(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path / "se")
    writer = backend.open_writer("2026/01/01/00/f.bin")
    writer.write(os.urandom(DIRECT_BUFFER * 2 + 10))
    writer.abort()
    assert backend.get_bytes("2026/01/01/00/f.bin") is None
    assert not [p for p in backend.root.rglob("*") if p.is_file()]


def test_a_direct_write_refused_goes_on_buffered_without_losing_or_repeating_bytes(
    tmp_path: Path,
) -> None:
    backend = LocalBackend(tmp_path / "se")
    if not takes_o_direct(backend.root):
        pytest.skip("this file system refuses O_DIRECT at open")
    writer = backend.open_writer("2026/01/01/00/f.bin")
    assert writer._buf is not None
    os.lseek(writer._fd, 1, os.SEEK_SET)  # an unaligned offset: O_DIRECT writes get EINVAL
    data = os.urandom(3 * DIRECT_BUFFER + 99)
    writer.write(data)
    assert not fcntl.fcntl(writer._fd, fcntl.F_GETFL) & os.O_DIRECT  # fell back
    writer.commit()
    assert backend.get_bytes("2026/01/01/00/f.bin") == b"\0" + data
