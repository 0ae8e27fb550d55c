"""Content-Disposition with the Unicode name and a safe ASCII fallback."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from query_module.files.disposition import ascii_fallback, content_disposition


@pytest.mark.parametrize(
    "name",
    ["Договор поставки №5.pdf", "résumé \"final\".docx", "a\r\nb.txt", "plain.txt", "日本.png",
     "x;y=z.bin", "back\\slash.txt"],
)
def test_round_trips_the_unicode_name(name):
    header = content_disposition(name)
    assert header.startswith('attachment; filename="')
    encoded = header.split("filename*=UTF-8''", 1)[1]
    assert unquote(encoded) == name
    assert "\r" not in header and "\n" not in header
    assert all(ord(c) < 128 for c in header)


def test_ascii_fallback_is_quoted_safely():
    fallback = ascii_fallback('evil"; filename="x.exe')
    assert '"' not in fallback and "\\" not in fallback


def test_ascii_fallback_keeps_the_extension_of_cyrillic_names():
    assert ascii_fallback("Договор.pdf") == "download.pdf"
    assert ascii_fallback("café.txt") == "cafe.txt"
