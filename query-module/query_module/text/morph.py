"""Russian lemmas (pymorphy3 with its OpenCorpora dictionary) on top of PostgreSQL's stemmers.

Documents and queries go through the same functions: a document's lemma text is indexed with
the 'simple' configuration next to its 'russian'/'english' stems, and each query word matches
its stem OR any of its lemmas. Lemmas fold «ё» to «е» (the Snowball stemmer already does), so
«счёт» and «счет» meet. Hyphenated compounds are lemmatised part by part and kept joined:
PostgreSQL's parser then indexes the whole and each part.
"""

from __future__ import annotations

import functools
import re

import pymorphy3

# Words, optionally joined by hyphens: «счета-фактуры», «e-mail», «2024».
WORD = re.compile(r"\w+(?:-\w+)*")
_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
# Parts of speech that carry no search meaning (prepositions, conjunctions, particles,
# interjections): dropped from queries, as the Snowball stop lists drop «о», «на», «и».
_FUNCTION_POS = frozenset({"PREP", "CONJ", "PRCL", "INTJ"})
_MAX_LEMMAS = 3


@functools.cache
def _analyzer() -> pymorphy3.MorphAnalyzer:
    return pymorphy3.MorphAnalyzer(lang="ru")


def preload() -> None:
    _analyzer()


def fold(text: str) -> str:
    return text.replace("ё", "е").replace("Ё", "Е")


def is_cyrillic(word: str) -> bool:
    return _CYRILLIC.search(word) is not None


@functools.lru_cache(maxsize=200_000)
def _part_lemmas(part: str) -> tuple[tuple[str, ...], bool]:
    """(distinct lemmas in likelihood order, is a function word) of one hyphen-free word."""
    if not is_cyrillic(part):
        return (part,), False
    parses = _analyzer().parse(part)
    lemmas: list[str] = []
    for parse in parses:
        lemma = fold(parse.normal_form)
        if lemma not in lemmas:
            lemmas.append(lemma)
    function = bool(parses) and all(str(p.tag.POS) in _FUNCTION_POS for p in parses)
    return tuple(lemmas[:_MAX_LEMMAS]) or (part,), function


@functools.lru_cache(maxsize=200_000)
def word_lemmas(word: str) -> tuple[str, ...]:
    """Lemmas of a word (lower-case, ё folded); a compound gets its parts' first lemmas joined
    and, when the dictionary knows the compound itself, its own lemmas too."""
    word = fold(word.lower())
    if "-" not in word:
        return _part_lemmas(word)[0]
    own = _part_lemmas(word)[0] if is_cyrillic(word) else ()
    joined = "-".join(_part_lemmas(part)[0][0] for part in word.split("-") if part)
    return tuple(dict.fromkeys((*own, joined)))


def is_function_word(word: str) -> bool:
    word = fold(word.lower())
    return "-" not in word and _part_lemmas(word)[1]


def lemma_text(text: str | None) -> str:
    """The lemmas of every Cyrillic word of ``text``, space-separated (Latin words and numbers
    are left to the stemmers)."""
    if not text:
        return ""
    out: list[str] = []
    for match in WORD.finditer(text):
        word = match.group()
        if is_cyrillic(word) and not is_function_word(word):
            out.extend(word_lemmas(word))
    return " ".join(out)


def metadata_lemmas(name: str, description: str | None, tags: list[str],
                    custom: dict | None) -> str:
    """Lemma text of a file's searchable metadata (the trigger gives it weight B)."""
    values = [re.sub(r"[_.]+", " ", name), description or "", " ".join(tags)]
    values += [str(v) for v in (custom or {}).values() if isinstance(v, str)]
    return lemma_text(" ".join(values))


_MAX_FORMS = 60


@functools.lru_cache(maxsize=20_000)
def word_forms(word: str) -> tuple[str, ...]:
    """Every inflected form of the word's lemmas («закупки» → закупка, закупок, закупкам…):
    a query matches these through the stemmer, so snippets can mark «закупок» as well."""
    word = fold(word.lower())
    if "-" in word or not is_cyrillic(word):
        return ()
    forms: dict[str, None] = {}
    seen: set[str] = set()
    for parse in _analyzer().parse(word):
        if parse.normal_form in seen:
            continue
        seen.add(parse.normal_form)
        for form in parse.lexeme:
            forms[fold(form.word)] = None
    return tuple(forms)[:_MAX_FORMS]
