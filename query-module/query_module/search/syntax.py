"""The search box's syntax, turned into one tsquery.

    план закупки          every word, in any grammatical form (stem, lemma or inflection)
    "договор поставки"    the words in this order
    акт OR счёт           either (also «или», or «|»)
    -черновик  -"копия"   without this word / phrase

Each Russian word matches its Snowball stem or its lemmas (pymorphy3; documents carry their
lemmas too), so fleeting vowels (закупка → закупок) are found; for snippets the stems of
every inflected form of those lemmas are marked as well. Words the stop lists drop («о», «на»,
«the») are ignored; ё and е are the same letter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import ColumnElement, case, func, literal_column

from query_module.text import morph

_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_OR = {"or", "или", "|"}


@dataclass
class Term:
    text: str
    phrase: bool = False
    negated: bool = False


def parse(q: str) -> list[list[Term]]:
    """AND of OR-groups of terms; a negated term is always a group of its own."""
    groups: list[list[Term]] = []
    join_next = False
    for match in _TOKEN.finditer(q):
        minus, quoted, bare = match.groups()
        if bare is not None and bare.lower() in _OR:
            join_next = bool(groups)
            continue
        if quoted is not None:
            terms = [Term(quoted, phrase=True, negated=bool(minus))]
        else:
            negated = bare.startswith("-") and len(bare) > 1
            words = morph.WORD.findall(bare[1:] if negated else bare)
            terms = [Term(w, negated=negated) for w in words]
        for i, term in enumerate(terms):
            if join_next and i == 0 and not term.negated and not groups[-1][0].negated:
                groups[-1].append(term)
            else:
                groups.append([term])
        join_next = False
    return groups


def has_negation(q: str) -> bool:
    return any(term.negated for group in parse(q) for term in group)


def _config(name: str) -> ColumnElement:
    return literal_column(f"'{name}'::regconfig")


def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def _or(parts: list[ColumnElement]) -> ColumnElement:
    result = parts[0]
    for part in parts[1:]:
        result = func.tsquery_or(result, part)
    return result


def _and(parts: list[ColumnElement]) -> ColumnElement:
    result = parts[0]
    for part in parts[1:]:
        result = func.tsquery_and(result, part)
    return result


def _parts(word: str, forms: bool) -> list[ColumnElement]:
    """«счета-фактуры» also finds «счёт фактура» written apart, «e-mail» finds
    «e-mail-рассылка»: all parts, each in any form."""
    parts = [p for p in (_word(part, forms) for part in word.split("-") if part)
             if p is not None]
    return [_and(parts)] if parts else []


def _word(word: str, forms: bool) -> ColumnElement | None:
    word = morph.fold(word.lower())
    if not morph.is_cyrillic(word):
        english = func.plainto_tsquery(_config("english"), word)
        return _or([english, *_parts(word, forms)]) if "-" in word else english
    if morph.is_function_word(word):
        return None
    stem = func.plainto_tsquery(_config("russian"), word)
    if forms and "-" not in word:
        # The distinct stems of the word and of every inflected form of its lemmas:
        # ts_headline's time grows with the operands (24 repeated ones made it 60x slower).
        inflected = (word, *morph.word_forms(word))
        stems = func.tsvector_to_array(func.to_tsvector(_config("russian"), " ".join(inflected)))
        marks = func.to_tsquery(_config("simple"),
                                "'" + func.array_to_string(stems, "' | '") + "'")
        return case((func.numnode(stem) == 0, stem), else_=marks)
    alternatives = [stem]
    alternatives += [func.plainto_tsquery(_config("simple"), lemma)
                     for lemma in morph.word_lemmas(word)]
    inflected = morph.word_forms(word) if forms else ()
    if inflected:
        alternatives.append(func.to_tsquery(_config("russian"),
                                            " | ".join(_quote(f) for f in inflected)))
    if "-" in word:
        alternatives += _parts(word, forms)
    # A stop word (its stem is empty) must not become a required lemma.
    return case((func.numnode(stem) == 0, stem), else_=_or(alternatives))


def _phrase(text: str) -> ColumnElement:
    return func.tsquery_or(func.phraseto_tsquery(_config("russian"), morph.fold(text)),
                           func.phraseto_tsquery(_config("english"), morph.fold(text)))


def to_tsquery(q: str, forms: bool = False) -> ColumnElement:
    """The query for matching (stems OR lemmas: documents carry lemmas) or, with ``forms``,
    for highlighting: ts_headline sees only the text's stems, so every inflected form of the
    lemmas is added, and «закупок» is marked for «закупки»."""
    clauses: list[ColumnElement] = []
    for group in parse(q):
        alternatives = []
        for term in group:
            expr = _phrase(term.text) if term.phrase else _word(term.text, forms)
            if expr is not None:
                alternatives.append(expr)
        if not alternatives:
            continue
        expr = _or(alternatives)
        clauses.append(func.tsquery_not(expr) if group[0].negated else expr)
    if not clauses:
        return literal_column("''::tsquery")
    return _and(clauses)
