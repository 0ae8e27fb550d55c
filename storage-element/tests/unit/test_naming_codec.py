"""Pure functions: physical names, ranges, compression round trips, sidecar limits."""

from __future__ import annotations

import hashlib
import os
import uuid
from datetime import UTC, datetime

import pytest

from artstore_common.errors import ArtStoreError
from storage_element import naming, sidecar
from storage_element.codec import COMPRESSORS, WritePipeline, decompress, slice_stream
from storage_element.files.content import parse_range

WHEN = datetime(2024, 3, 5, 7, 8, 9, tzinfo=UTC)
FID = uuid.UUID("12345678-1234-5678-1234-567812345678")


class TestNaming:
    def test_layout(self):
        path = naming.storage_path("Отчёт 2024.PDF", "Иван", WHEN, FID)
        assert path == f"2024/03/05/07/Отчёт_2024_Иван_20240305T070809_{FID}.pdf"
        assert naming.is_safe_relpath(path)

    @pytest.mark.parametrize("name", ["../../etc/passwd", "..", "a/../../b", "\\..\\x",
                                      "/etc/shadow", ".bashrc", "x" * 5000, "ж" * 300 + ".txt",
                                      "a:b*c?d\"e<f>g|h", "\u202eexe.txt", "\n\r\t"])
    def test_hostile_names_stay_safe(self, name):
        stored = naming.storage_filename(name, "../user", WHEN, FID)
        assert len(stored + naming.SIDECAR_SUFFIX) <= 200
        assert len((stored + ".attr.json.part.").encode()) <= 255
        assert "/" not in stored and "\\" not in stored and not stored.startswith(".")
        assert str(FID) in stored
        assert naming.is_safe_relpath(f"{naming.directory_for(WHEN)}/{stored}")

    @pytest.mark.parametrize("path", ["../x", "2024/03/05/07/../../x", "/etc/passwd",
                                      "2024/03/05/07/.hidden", "2024/3/5/7/x", "x"])
    def test_unsafe_relpaths_rejected(self, path):
        assert not naming.is_safe_relpath(path)


class TestRange:
    @pytest.mark.parametrize(("header", "expected"), [
        (None, None), ("bytes=0-0", (0, 0)), ("bytes=5-", (5, 99)), ("bytes=-10", (90, 99)),
        ("bytes=-500", (0, 99)), ("bytes=50-1000", (50, 99))])
    def test_valid(self, header, expected):
        assert parse_range(header, 100) == expected

    @pytest.mark.parametrize(("header", "status"), [
        ("bytes=100-", 416), ("bytes=0-1,3-4", 416), ("bytes=-0", 416), ("bytes=x-", 400),
        ("chars=0-1", 400), ("bytes=5-1", 400), ("bytes=-", 400)])
    def test_invalid(self, header, status):
        with pytest.raises(ArtStoreError) as info:
            parse_range(header, 100)
        assert info.value.status_code == status


class _Sink:
    def __init__(self):
        self.data = b""

    def write(self, data):
        self.data += data

    def commit(self):
        pass

    def abort(self):
        pass


@pytest.mark.parametrize("algorithm", sorted(COMPRESSORS))
def test_compression_round_trip_and_ranges(algorithm):
    original = b"".join(b"%d some text\n" % i for i in range(100_000))
    sink = _Sink()
    pipe = WritePipeline(sink, algorithm)
    for i in range(0, len(original), 300_000):
        pipe.feed(original[i:i + 300_000])
    pipe.finish()
    assert pipe.algorithm == algorithm and pipe.stored_size == len(sink.data) < len(original)
    assert pipe.stored_sha256 == hashlib.sha256(sink.data).hexdigest()
    assert pipe.sha.hexdigest() == hashlib.sha256(original).hexdigest()
    chunks = [sink.data[i:i + 4096] for i in range(0, len(sink.data), 4096)]
    assert b"".join(decompress(iter(chunks), algorithm)) == original
    part = b"".join(slice_stream(decompress(iter(chunks), algorithm), 123_456, 1000))
    assert part == original[123_456:124_456]


def test_incompressible_sample_is_stored_plain():
    sink = _Sink()
    pipe = WritePipeline(sink, "zstd")
    data = os.urandom(500_000)
    pipe.feed(data)
    pipe.finish()
    assert pipe.algorithm is None and sink.data == data
    assert pipe.stored_sha256 == pipe.sha.hexdigest() == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("algorithm", [None, "zstd"])
def test_pieces_are_stored_as_their_join(algorithm):
    text = b"".join(b"%d some text\n" % i for i in range(100_000))
    pieces = [text[i:i + 70_000] for i in range(0, len(text), 70_000)]
    one, many = _Sink(), _Sink()
    joined, split = WritePipeline(one, algorithm), WritePipeline(many, algorithm)
    for i in range(0, len(pieces), 5):
        joined.feed(b"".join(pieces[i:i + 5]))
        split.feed_pieces(pieces[i:i + 5])
    joined.finish()
    split.finish()
    assert many.data == one.data and split.algorithm == joined.algorithm == algorithm
    assert split.size == len(text)
    assert split.sha.hexdigest() == hashlib.sha256(text).hexdigest()
    assert split.stored_sha256 == joined.stored_sha256 == hashlib.sha256(one.data).hexdigest()


def test_sidecar_limit():
    with pytest.raises(ArtStoreError) as info:
        sidecar.encode({"custom": "x" * 5000})
    assert info.value.code == "SIDECAR_TOO_LARGE"


def test_range_positions_with_thousands_of_digits():
    """Issue 14: beyond Python's int-digit limit a position is simply past every file."""
    huge = "9" * 5000
    assert parse_range(f"bytes=0-{huge}", 100) == (0, 99)
    assert parse_range(f"bytes=-{huge}", 100) == (0, 99)
    with pytest.raises(ArtStoreError) as info:
        parse_range(f"bytes={huge}-", 100)
    assert info.value.status_code == 416
    with pytest.raises(ArtStoreError) as info:
        parse_range(f"bytes={huge}-{huge}", 100)
    assert info.value.status_code == 416


def test_upload_attributes_refuse_unstorable_json():
    import base64

    from storage_element.files.upload import parse_attributes

    for custom in ['{"a": NaN}', '{"a": 1e999}', '{"a": "\\ud800"}', '{"a": "\\u0000"}',
                   '{"a":' * 2000 + "1" + "}" * 2000]:
        raw = '{"original_filename": "x.txt", "custom": ' + custom + "}"
        header = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
        with pytest.raises(ArtStoreError) as info:
            parse_attributes(header)
        assert info.value.status_code == 422
