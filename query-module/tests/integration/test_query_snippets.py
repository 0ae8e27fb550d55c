"""Body snippets of long texts: headlined from a window around the first match (migration
0008), still whole words, "…" where cut, `<mark>` only, HTML-escaped; a word that only looks
like a match (same prefix, another stem) does not hide the real one further on."""

from __future__ import annotations

import html
import random
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import create_async_engine

from query_module.extraction.repository import body_vector
from query_module.models import CatalogFile, CatalogText
from query_module.text.morph import lemma_text

SE = "00000000-0000-0000-0000-0000000000c1"
FILLER = "склад груз поставка оборудование ремонт услуги отчёт бухгалтер цена".split()


def filler(words: int, seed: int) -> str:
    rnd = random.Random(seed)
    return " ".join(rnd.choice(FILLER) for _ in range(words))


TEXTS = {
    # the only match ~45 000 characters in, next to characters that need escaping
    "deep": filler(5000, 1) + " ООО «Ромашка» & <Партнёр> платит неустойки за просрочку "
            + filler(5000, 2),
    # «договорённость» (stem «договорен») shares the prefix of «договор» long before the match
    "prefix": "договорённость " + filler(3000, 3) + " условия договора аренды " + filler(800, 4),
    # a long text without the searched word: its beginning, cut at the end
    "absent": filler(4000, 5),
}


@pytest.fixture()
async def texts(harness, builders):
    ids = {}
    for name in TEXTS:
        attrs = builders.attrs(original_filename=f"{name}.txt", content_type="text/plain",
                               description="Письмо неустойка" if name == "absent" else None)
        await harness.publish(builders.event(attrs, SE))
        ids[name] = attrs.file_id
    await harness.drain()
    engine = create_async_engine(harness.settings.DATABASE_URL)
    async with engine.begin() as conn:
        for name, text in TEXTS.items():
            await conn.execute(insert(CatalogText).values(
                file_id=ids[name], sha256="0" * 64, content=text, method="plain",
                extracted_at=datetime.now(UTC)))
            await conn.execute(update(CatalogFile).where(CatalogFile.file_id == ids[name])
                               .values(body_vector=body_vector(text, lemma_text(text)),
                                       text_state="done"))
    await engine.dispose()
    return ids


async def snippets(harness, q: str) -> dict:
    response = await harness.search(q=q)
    assert response.status_code == 200, response.text
    return {item["file_id"]: item["snippet"] for item in response.json()["items"]}


def whole_words(snippet: str, text: str) -> None:
    """Every word shown is a word of the text, and only <mark> tags are left."""
    plain = re.sub(r"</?mark>", "", snippet)
    assert "<" not in plain and ">" not in plain
    words = set(text.split())
    for word in html.unescape(plain).split():
        assert word == "…" or word in words, word


async def test_match_deep_in_a_long_text(harness, texts):
    snippet = (await snippets(harness, "неустойка"))[str(texts["deep"])]
    assert "<mark>неустойки</mark>" in snippet
    assert "&amp;" in snippet and "&lt;Партнёр&gt;" in snippet
    assert snippet.startswith("… ") and snippet.endswith(" …")
    whole_words(snippet, TEXTS["deep"])


async def test_a_word_with_the_same_prefix_does_not_hide_the_match(harness, texts):
    snippet = (await snippets(harness, "договор"))[str(texts["prefix"])]
    assert "<mark>договора</mark>" in snippet
    assert "договорённость" not in snippet
    whole_words(snippet, TEXTS["prefix"])


async def test_metadata_match_shows_the_start_of_a_long_text(harness, texts):
    snippet = (await snippets(harness, "неустойка"))[str(texts["absent"])]
    assert "<mark>" not in snippet
    assert TEXTS["absent"].startswith(snippet.removesuffix(" …"))
    assert snippet.endswith(" …")
    whole_words(snippet, TEXTS["absent"])
