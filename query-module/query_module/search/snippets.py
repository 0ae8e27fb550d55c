"""Finish a ts_headline: "…" wherever the passage does not reach the text's start or end."""

from __future__ import annotations

import html
import re

DELIMITER = " … "
_TAG = re.compile(r"</?mark>")


def _words(text: str) -> list[str]:
    return text.split()


def ellipsize(headline: str | None, head: str | None, tail: str | None) -> str | None:
    """``head``/``tail`` are the first and last characters of the (unescaped) source text;
    fragments are whole words already, so only the outer edges need a mark."""
    if not headline or not headline.strip():
        return None
    fragments = [f.strip() for f in headline.split(DELIMITER.strip()) if f.strip()]
    first = _words(_TAG.sub("", fragments[0]))
    last = _words(_TAG.sub("", fragments[-1]))
    start = _words(html.escape(head or "", quote=False))
    end = _words(html.escape(tail or "", quote=False))
    text = DELIMITER.join(fragments)
    if first and start[: min(len(first), 5)] != first[:5]:
        text = "… " + text
    if last and end[-min(len(last), 5):] != last[-5:]:
        text = text + " …"
    return text
