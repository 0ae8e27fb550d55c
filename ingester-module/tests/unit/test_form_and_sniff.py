"""Form-field validation, filename sanitation, type detection and the compression decision."""

from __future__ import annotations

import gzip
import io
import zipfile

import pytest

from ingester_module.errors import FileTypeNotAllowed, InvalidField, MetadataTooLarge
from ingester_module.uploads import sniff
from ingester_module.uploads.form import parse_options


def opts(**fields: str):
    return parse_options(fields, compression_default="off", metadata_max_bytes=2048)


class TestOptions:
    def test_defaults_are_temporary_30_days(self) -> None:
        o = opts()
        assert (o.retention_policy, o.ttl_days, o.required_mode) == ("temporary", 30, "edit")
        assert o.compression is None

    def test_permanent_goes_to_rw_without_ttl(self) -> None:
        o = opts(retention_policy="permanent")
        assert (o.required_mode, o.ttl_days, o.expires_at()) == ("rw", None, None)

    @pytest.mark.parametrize("ttl", ["0", "366", "-1", "1.5", "abc"])
    def test_bad_ttl(self, ttl: str) -> None:
        with pytest.raises(InvalidField):
            opts(ttl_days=ttl)

    def test_ttl_with_permanent(self) -> None:
        with pytest.raises(InvalidField):
            opts(retention_policy="permanent", ttl_days="5")

    def test_tags_comma_or_json(self) -> None:
        assert opts(tags="a, b,,a").tags == ["a", "b"]
        assert opts(tags='["x", "y"]').tags == ["x", "y"]
        with pytest.raises(InvalidField):
            opts(tags='["x", 1]')

    def test_metadata(self) -> None:
        assert opts(metadata='{"a": {"b": 1}}').custom == {"a": {"b": 1}}
        for bad in ("{", "[]", '"s"', "1"):
            with pytest.raises(InvalidField):
                opts(metadata=bad)
        with pytest.raises(MetadataTooLarge):
            opts(metadata='{"k": "' + "v" * 3000 + '"}')

    @pytest.mark.parametrize(("raw", "algo"), [("gzip", "gzip"), ("brotli", "br"),
                                               ("zstd", "zstd"), ("true", "gzip"),
                                               ("false", None), ("off", None)])
    def test_compress_values(self, raw: str, algo: str | None) -> None:
        assert opts(compress=raw).compression == algo

    def test_compress_policy_default(self) -> None:
        o = parse_options({}, compression_default="br", metadata_max_bytes=10)
        assert o.compression == "br"
        o = parse_options({"compress": "yes"}, compression_default="zstd", metadata_max_bytes=10)
        assert o.compression == "zstd"

    def test_bad_compress_and_unknown_field(self) -> None:
        with pytest.raises(InvalidField):
            opts(compress="lzma")
        with pytest.raises(InvalidField) as info:
            opts(colour="red")
        assert info.value.code == "UNKNOWN_FIELD"


class TestFilename:
    @pytest.mark.parametrize(("raw", "clean"), [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\отчёт.docx", "отчёт.docx"),
        ("a\x00b\x07c.txt", "abc.txt"),
        ("  spaced   name .txt ", "spaced name .txt"),
        ("e\u0301.txt", "é.txt"),
    ])
    def test_sanitized(self, raw: str, clean: str) -> None:
        assert sniff.sanitize_filename(raw) == clean

    @pytest.mark.parametrize("raw", ["", "/", "..", "\x00\x01", "dir/"])
    def test_empty_refused(self, raw: str) -> None:
        with pytest.raises(InvalidField):
            sniff.sanitize_filename(raw)

    def test_long_name_keeps_extension(self) -> None:
        name = sniff.sanitize_filename("x" * 400 + ".pdf")
        assert len(name) == 255 and name.endswith(".pdf")


def _docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<x/>")
        z.writestr("word/document.xml", "<w/>")
    return buf.getvalue()


class TestTypes:
    def test_magic_beats_declared(self) -> None:
        info = sniff.identify("setup.txt", "text/plain", b"MZ" + b"\0" * 300)
        assert info.content_type == "application/x-msdownload"
        with pytest.raises(FileTypeNotAllowed):
            sniff.check_allowed(info, ["text/*"])

    def test_text_falls_back_to_declared_or_extension(self) -> None:
        assert sniff.identify("a.csv", None, b"a,b\n1,2").content_type == "text/csv"
        assert sniff.identify("a", "text/markdown", b"# t").content_type == "text/markdown"
        assert sniff.identify("a", None, b"\x01\x02").content_type == "application/octet-stream"

    def test_allow_list_wildcards(self) -> None:
        png = sniff.identify("p.png", None, b"\x89PNG\r\n\x1a\n" + b"\0" * 30)
        sniff.check_allowed(png, ["image/*"])
        sniff.check_allowed(png, [])
        with pytest.raises(FileTypeNotAllowed):
            sniff.check_allowed(png, ["image/jpeg", "text/*"])

    @pytest.mark.parametrize(("name", "declared", "head"), [
        ("x.bin", None, gzip.compress(b"abc")),
        ("report.docx", None, _docx()),
        ("p.dat", None, b"\x89PNG\r\n\x1a\n" + b"\0" * 30),
        ("v.mp4", "video/mp4", b"\0" * 40),
        ("font", None, b"wOF2" + b"\0" * 40),
        ("a.zst", None, b"\x28\xb5\x2f\xfd" + b"\0" * 40),
        ("photo.bin", "image/jpeg", b"plain"),
    ])
    def test_already_compressed_is_not_compressed(self, name, declared, head) -> None:
        info = sniff.identify(name, declared, head)
        assert sniff.compression_for("gzip", name, info) is None

    def test_text_is_compressed_when_asked(self) -> None:
        info = sniff.identify("a.log", "text/plain", b"line\n" * 100)
        assert sniff.compression_for("br", "a.log", info) == "br"
        assert sniff.compression_for(None, "a.log", info) is None
