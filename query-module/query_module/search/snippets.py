"""Snippets: where in a long text to look (``locate_pattern``), and finishing a ts_headline
("…" wherever the passage does not reach the text's start or end)."""

from __future__ import annotations

import html
import re

DELIMITER = " … "
_TAG = re.compile(r"</?mark>")
_LEXEME = re.compile(r"(!?)'((?:[^'\\]|''|\\.)+)'")


def _lexemes(tsquery: str | None) -> list[str]:
    """The lexemes a tsquery's text form names (quoted as there: '' and \\), negated ones left
    out."""
    return sorted({quoted for negated, quoted in _LEXEME.findall(tsquery or "") if not negated})


def any_word_query(tsquery: str | None) -> str | None:
    """A tsquery matching a text that holds any word the highlight tsquery may mark."""
    return " | ".join(f"'{quoted}'" for quoted in _lexemes(tsquery)) or None


def locate_pattern(tsquery: str | None) -> str | None:
    """A PostgreSQL regex (case-insensitive) for the start of any word the highlight tsquery
    may mark: a Russian stem is a prefix of its words once ё is folded; an English stem may
    end differently (happy → happi, sensibility → sensibl), so two letters are dropped. It only
    picks the part of the text to headline; the headline itself decides what is marked."""
    prefixes = set()
    for quoted in _lexemes(tsquery):
        word = quoted.replace("''", "'").replace("\\\\", "\\")
        word = word[:-2] if word.isascii() and len(word) > 4 else word
        prefixes.add(re.escape(word).replace("е", "[её]"))
    return r"\m(?:" + "|".join(sorted(prefixes)) + ")" if prefixes else None


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
    # Five words at each edge decide it.
    start = html.escape(head or "", quote=False).split(maxsplit=5)[:5]
    end = html.escape(tail or "", quote=False).rsplit(maxsplit=5)[-5:]
    text = DELIMITER.join(fragments)
    if first and start[: min(len(first), 5)] != first[:5]:
        text = "… " + text
    if last and end[-min(len(last), 5):] != last[-5:]:
        text = text + " …"
    return text
