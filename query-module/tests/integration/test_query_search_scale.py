"""A match set larger than SEARCH_EXACT_TOTAL_LIMIT (set to its minimum, 100, here): the total
is a lower bound, facets come from a sample, and relevance ranks the metadata matches (on the
small metadata vector) before body-only matches, newest first. Real catalog, real trigger."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import create_async_engine

from query_module.extraction.repository import body_vector
from query_module.models import CatalogFile
from query_module.text.morph import lemma_text

SE = uuid.UUID("00000000-0000-0000-0000-0000000000b1")
T0 = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)
LIMIT = 100


@pytest.fixture()
def query_settings(query_settings):
    return query_settings.model_copy(update={"SEARCH_EXACT_TOTAL_LIMIT": LIMIT,
                                             "SEARCH_FACET_SAMPLE": LIMIT})


@pytest.fixture()
async def corpus(harness, builders):
    """30 files named «Накладная …» (the newest 10 also say «возврат» in their body), and 100
    files that mention «накладных» only in the body, interleaved in time."""
    named, body_only, bodies = [], [], {}
    for i in range(130):
        created = T0 + timedelta(minutes=i)
        if i % 5 == 0 and i < 100 or i >= 120:
            attrs = builders.attrs(original_filename=f"Накладная {i}.pdf", created_at=created,
                                   updated_at=created)
            named.append(attrs.file_id)
            bodies[attrs.file_id] = "возврат товара" if i >= 120 else "товар"
        else:
            attrs = builders.attrs(original_filename=f"scan_{i}.pdf", created_at=created,
                                   updated_at=created, content_type="image/png")
            body_only.append(attrs.file_id)
            bodies[attrs.file_id] = f"перечень накладных за месяц {i}"
        await harness.publish(builders.event(attrs, SE))
    await harness.drain()
    engine = create_async_engine(harness.settings.DATABASE_URL)
    async with engine.begin() as conn:
        for file_id, text in bodies.items():
            await conn.execute(update(CatalogFile).where(CatalogFile.file_id == file_id)
                               .values(body_vector=body_vector(text, lemma_text(text)),
                                       text_state="done"))
    await engine.dispose()
    assert len(named) == 30 and len(body_only) == 100
    return {"named": named, "body_only": body_only}


def page(response) -> list[uuid.UUID]:
    assert response.status_code == 200, response.text
    return [uuid.UUID(item["file_id"]) for item in response.json()["items"]]


async def test_total_is_a_lower_bound_and_facets_a_sample(harness, corpus):
    body = (await harness.search(q="накладная", facets="true", limit=5)).json()
    assert body["total"] == LIMIT and body["total_exact"] is False
    assert body["facets_sample"] == LIMIT
    assert sum(f["count"] for f in body["facets"]["content_type"]) == LIMIT


async def test_metadata_matches_rank_first_then_body_matches_newest_first(harness, corpus):
    first = page(await harness.search(q="накладные", limit=20))
    second = page(await harness.search(q="накладные", limit=20, offset=20))
    named, body_only = corpus["named"], corpus["body_only"]
    assert set(first) <= set(named) and len(first) == 20
    assert set(second[:10]) == set(named) - set(first)
    # Body-only matches follow, newest first (they were created in list order).
    assert second[10:] == body_only[::-1][:10]


async def test_negation_holds_for_metadata_matches(harness, corpus):
    hits = page(await harness.search(q="накладная -возврат", limit=40))
    # The 10 named files whose body says «возврат» are excluded although their name matches.
    returned = set(corpus["named"][20:])
    assert not returned & set(hits)
    assert set(hits[:20]) == set(corpus["named"][:20])
    assert len(hits) == 40


async def test_exact_below_the_limit(harness, corpus):
    body = (await harness.search(q="возврат", facets="true")).json()
    assert body["total"] == 10 and "total_exact" not in body
    assert body["facets_sample"] is None
    assert set(page_ids := [uuid.UUID(i["file_id"]) for i in body["items"]]) == set(
        corpus["named"][20:]) and len(page_ids) == 10


async def test_pages_past_a_lower_bound_total_are_served(harness, corpus):
    response = await harness.search(q="накладные", limit=20, offset=120)
    assert response.json()["total"] == LIMIT
    assert page(response) == corpus["body_only"][::-1][90:]
    browse = page(await harness.search(limit=20, offset=120))
    assert len(browse) == 10
