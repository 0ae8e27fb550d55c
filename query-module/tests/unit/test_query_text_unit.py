"""Text extraction, morphology, query syntax and snippet edges without servers (the extractor
runs as the real sandboxed child process; Tesseract is the system one)."""

from __future__ import annotations

import asyncio
import io
import zipfile
from pathlib import Path

import pytest
from document_samples import docx, scan_pdf, text_pdf

from query_module.search.snippets import any_word_query, ellipsize, locate_pattern
from query_module.search.syntax import parse
from query_module.text import morph
from query_module.text.extract import decode, extract
from query_module.text.sandbox import Limits, run_extraction


@pytest.mark.parametrize(("query", "document"), [
    ("план закупки", "План закупок"),
    ("договоры поставок", "Договор поставки"),
    ("справок о доходе", "Справка о доходах"),
    ("счета-фактуры", "счёт-фактура"),
    ("заявок", "заявка"),
    ("ошибки", "ошибок"),
])
def test_issue_examples_share_lemmas(query, document):
    lemmas = set(morph.lemma_text(document).split())
    for word in morph.WORD.findall(query):
        if not morph.is_function_word(word) and word != "о":
            assert set(morph.word_lemmas(word)) & lemmas, word


def test_yo_folds_and_compounds_keep_parts():
    assert morph.word_lemmas("Счёт") == morph.word_lemmas("счет")
    assert "счет-фактура" in morph.word_lemmas("счетов-фактур")
    assert "закупок" in morph.word_forms("закупка")
    assert morph.lemma_text("Invoice 2024 на сумму") == "сумма"  # Latin left to the stemmer


def test_query_syntax():
    groups = parse('договор -черновик "план закупок" акт OR счёт или справка')
    flat = [[(t.text, t.phrase, t.negated) for t in g] for g in groups]
    assert flat == [
        [("договор", False, False)],
        [("черновик", False, True)],
        [("план закупок", True, False)],
        [("акт", False, False), ("счёт", False, False), ("справка", False, False)],
    ]
    assert [[t.text for t in g] for g in parse("счета-фактуры, e-mail")] == [
        ["счета-фактуры"], ["e-mail"]]
    assert parse('-"копия документа"')[0][0].negated
    assert parse("OR") == [] and parse("") == []


def test_snippet_edges():
    text = "Первое слово. " + "много слов " * 50 + "важный договор здесь. Последнее слово"
    headline = "много слов важный <mark>договор</mark> здесь. Последнее слово"
    assert ellipsize(headline, text[:300], text[-300:]) == "… " + headline
    start = "Первое слово. много <mark>слов</mark>"
    assert ellipsize(start, text[:300], text[-300:]) == start + " …"
    whole = "Короткий <mark>договор</mark>"
    assert ellipsize(whole, "Короткий договор", "Короткий договор") == whole
    two = "a <mark>b</mark> c … d <mark>e</mark> f"
    assert ellipsize(two, "x a b c", "d e f") == "… a <mark>b</mark> c … d <mark>e</mark> f"
    assert ellipsize("", "x", "x") is None and ellipsize(None, None, None) is None
    escaped = "A &amp; <mark>B</mark>"
    assert ellipsize(escaped, "A & B", "A & B") == escaped


def test_snippet_window_pattern():
    marks = "( 'договор' | 'счет' ) & !'проект' & 'invoic' <-> 'it''s' & 'c++'"
    # Stems as prefixes (е also matches ё), English ones shortened, negated words left out.
    assert locate_pattern(marks) == r"\m(?:c\+\+|invo|it's|договор|сч[её]т)"
    assert any_word_query(marks) == "'c++' | 'invoic' | 'it''s' | 'договор' | 'счет'"
    assert locate_pattern("") is None and any_word_query(None) is None


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1251", "koi8_r",
                                      "cp866"])
def test_decode_detects_russian_encodings(encoding):
    text = "Письмо о задолженности по договору аренды помещения"
    assert decode(text.encode(encoding)) == text


def test_decode_short_and_latin():
    assert decode("Договор".encode("koi8_r")) == "Договор"
    assert decode("Счёт".encode("cp1251")) == "Счёт"
    assert decode(b"plain ascii") == "plain ascii"


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_extract_formats(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active["A1"] = "Реестр заявок"
    xlsx = io.BytesIO()
    book.save(xlsx)
    odt = io.BytesIO()
    with zipfile.ZipFile(odt, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        zf.writestr("content.xml", '<?xml version="1.0" encoding="UTF-8"?><office:document-content'
                    ' xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text='
                    '"urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text>'
                    "<text:p>Служебная записка</text:p></office:text></office:body>"
                    "</office:document-content>")
    cases = {
        "a.docx": (docx(["Договор поставки"]), "Договор поставки", "office"),
        "a.xlsx": (xlsx.getvalue(), "Реестр заявок", "office"),
        "a.odt": (odt.getvalue(), "Служебная записка", "office"),
        "a.rtf": (rb"{\rtf1\ansi\ansicpg1251 \'d1\'f7\'e5\'f2 paid\par}", "Счет paid", "office"),
        "a.html": ("<p>Акт &amp; сверки</p>".encode(), "Акт & сверки", "office"),
        "a.pdf": (text_pdf(["Техническое задание"]), "Техническое задание", "pdf-text"),
        "scan.pdf": (scan_pdf(["Уважаемый Иван Петрович"]), "Иван Петрович", "ocr"),
    }
    for name, (data, expected, method) in cases.items():
        text, outcome = extract(_write(tmp_path, name, data), "", name)
        assert outcome.state == "done", (name, outcome)
        assert expected in text, (name, text)
        assert outcome.method == method, name


def test_extract_skips_unknown_and_fails_broken(tmp_path):
    _, outcome = extract(_write(tmp_path, "x.bin", b"\x00\x01"), "application/octet-stream",
                         "x.bin")
    assert outcome.state == "skipped" and "application/octet-stream" in outcome.reason
    _, outcome = extract(_write(tmp_path, "y.pdf", b"%PDF-1.4 broken"), "application/pdf",
                         "y.pdf")
    assert outcome.state == "failed" and outcome.reason


def test_extract_truncates_long_text(tmp_path):
    text, outcome = extract(_write(tmp_path, "long.txt", ("слово " * 1000).encode()),
                            "text/plain", "long.txt", max_chars=1000)
    assert len(text) <= 1000 and text.endswith("слово")
    assert outcome.reason and "truncated" in outcome.reason


def test_sandbox_enforces_timeout_and_memory(tmp_path):
    scan = _write(tmp_path, "scan.pdf", scan_pdf(["Очень долгий документ"] * 20))
    slow = asyncio.run(run_extraction(scan, "application/pdf", "scan.pdf",
                                      Limits(timeout_seconds=0.3)))
    assert slow.state == "failed" and "timed out" in slow.reason
    from PIL import Image

    bomb = io.BytesIO()  # a few KB of PNG, 900 megapixels decoded
    Image.new("1", (30000, 30000), 1).save(bomb, format="PNG")
    starved = asyncio.run(run_extraction(_write(tmp_path, "bomb.png", bomb.getvalue()),
                                         "image/png", "bomb.png", Limits(memory_mb=256)))
    assert starved.state == "failed", starved
    ok = asyncio.run(run_extraction(scan, "application/pdf", "scan.pdf", Limits()))
    assert ok.state == "done" and "долгий" in ok.text and "долгий" in ok.lemmas
