"""Search over the real catalog: stemming, modes, filters, facets, sort, paging, bad input."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

SE_RW = uuid.UUID("00000000-0000-0000-0000-0000000000a1")
SE_AR = uuid.UUID("00000000-0000-0000-0000-0000000000a2")
T0 = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


@pytest.fixture()
async def corpus(harness, builders):
    docs = {
        "contract": builders.attrs(
            original_filename="Договор поставки №17.pdf", description="Договор на поставку угля",
            tags=["legal", "2026"], size=5000, created_at=T0, updated_at=T0,
            custom={"department": "Бухгалтерия"}),
        "invoice": builders.attrs(
            original_filename="invoice_march.xlsx", description="Monthly invoices for suppliers",
            content_type="application/vnd.ms-excel", tags=["finance"], size=200,
            created_at=T0 + timedelta(days=1), updated_at=T0 + timedelta(days=1),
            uploaded_by={"id": "client-2", "name": "erp"}, retention_policy="temporary",
            ttl_days=30, expires_at=T0 + timedelta(days=31)),
        "photo": builders.attrs(
            original_filename="scan-0001.png", description="Scanned running shoes",
            content_type="image/png", tags=["scan", "legal"], size=90_000,
            created_at=T0 + timedelta(days=2), updated_at=T0 + timedelta(days=2)),
        "archived": builders.attrs(
            original_filename="old_contracts_1999.pdf", description="Archived contracts",
            size=700, created_at=T0 - timedelta(days=400), updated_at=T0 - timedelta(days=400)),
    }
    events = [builders.event(a, SE_AR if k == "archived" else SE_RW) for k, a in docs.items()]
    await harness.ingest(*events)
    await harness.set_discovery(builders.se("rw", id=SE_RW), builders.se("ar", id=SE_AR))
    return {k: str(a.file_id) for k, a in docs.items()}


def ids(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["file_id"] for item in response.json()["items"]]


class TestFulltext:
    async def test_russian_word_form_finds_document(self, harness, corpus):
        assert ids(await harness.search(q="договоры")) == [corpus["contract"]]

    async def test_english_plural_matches_singular(self, harness, corpus):
        assert ids(await harness.search(q="invoice")) == [corpus["invoice"]]
        assert corpus["archived"] in ids(await harness.search(q="contract"))

    async def test_matches_tags_and_custom_metadata(self, harness, corpus):
        assert ids(await harness.search(q="finance")) == [corpus["invoice"]]
        assert ids(await harness.search(q="бухгалтерии")) == [corpus["contract"]]

    async def test_results_carry_rank_and_highlight(self, harness, corpus):
        body = (await harness.search(q="поставки")).json()
        hit = body["items"][0]
        assert hit["rank"] > 0
        assert "<mark>" in hit["highlights"]["original_filename"]
        assert "<mark>" in hit["highlights"]["description"]

    async def test_highlights_are_safe_html(self, harness, builders, corpus):
        evil = builders.attrs(original_filename="<script>alert(1)</script> invoice.txt",
                              description="a <b>bold</b> invoice & more")
        await harness.ingest(builders.event(evil, SE_RW))
        body = (await harness.search(q="invoice", mode="fulltext")).json()
        hit = next(i for i in body["items"] if i["file_id"] == str(evil.file_id))
        name, description = hit["highlights"]["original_filename"], hit["highlights"]["description"]
        assert "<script>" not in name and "&lt;script&gt;" in name
        assert "<mark>invoice</mark>" in name
        assert "<b>" not in description and "&amp;" in description

    async def test_ranked_by_relevance(self, harness, builders, corpus):
        # A name match (weight A) outranks a description-only match (weight B).
        weak = builders.attrs(original_filename="misc.txt", description="running")
        strong = builders.attrs(original_filename="running.txt")
        await harness.ingest(builders.event(weak, SE_RW), builders.event(strong, SE_RW))
        found = ids(await harness.search(q="run"))
        assert found.index(str(strong.file_id)) < found.index(str(weak.file_id))

    async def test_archived_files_are_still_found_with_their_mode(self, harness, corpus):
        body = (await harness.search(q="contracts 1999")).json()
        assert [i["file_id"] for i in body["items"]] == [corpus["archived"]]
        assert body["items"][0]["storage_element_mode"] == "ar"


class TestPartialAndExact:
    async def test_partial_substring_of_name(self, harness, corpus):
        assert ids(await harness.search(q="VOICE_MA", mode="partial")) == [corpus["invoice"]]

    async def test_partial_escapes_like_wildcards(self, harness, corpus):
        assert ids(await harness.search(q="%", mode="partial")) == []

    async def test_exact_name(self, harness, corpus):
        assert ids(await harness.search(q="scan-0001.png", mode="exact")) == [corpus["photo"]]
        assert ids(await harness.search(q="scan-0001", mode="exact")) == []


class TestFilters:
    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({"content_type": "image/*"}, ["photo"]),
            ({"content_type": "application/pdf"}, ["archived", "contract"]),
            ({"extension": ".XLSX"}, ["invoice"]),
            ({"tags": ["legal", "scan"]}, ["photo"]),
            ({"uploaded_by": "erp"}, ["invoice"]),
            ({"size_min": 600, "size_max": 5000}, ["archived", "contract"]),
            ({"created_from": "2026-01-11T00:00:00Z"}, ["invoice", "photo"]),
            ({"created_to": "2025-01-01T00:00:00Z"}, ["archived"]),
            ({"retention_policy": "temporary"}, ["invoice"]),
            ({"expires_to": "2026-03-01T00:00:00Z"}, ["invoice"]),
            ({"storage_element_id": str(SE_AR)}, ["archived"]),
            ({"se_mode": "ar"}, ["archived"]),
            ({"se_mode": "edit"}, []),
        ],
    )
    async def test_filter(self, harness, corpus, params, expected):
        found = ids(await harness.search(**params))
        assert sorted(found) == sorted(corpus[name] for name in expected)

    async def test_deleted_hidden_unless_asked(self, harness, builders, corpus):
        await harness.ingest(builders.event(None, SE_RW, type="file.deleted",
                                            file_id=uuid.UUID(corpus["photo"])))
        assert corpus["photo"] not in ids(await harness.search())
        assert ids(await harness.search(status="deleted")) == [corpus["photo"]]


class TestSortPagingFacets:
    async def test_sort_by_size_ascending(self, harness, corpus):
        found = ids(await harness.search(sort="size", order="asc"))
        assert found == [corpus[k] for k in ("invoice", "archived", "contract", "photo")]

    async def test_sort_by_name_defaults_to_ascending(self, harness, corpus):
        body = (await harness.search(sort="name")).json()
        names = [i["original_filename"].lower() for i in body["items"]]
        assert names == sorted(names)

    async def test_default_order_is_newest_first(self, harness, corpus):
        assert ids(await harness.search())[0] == corpus["photo"]

    async def test_paging(self, harness, corpus):
        first = (await harness.search(sort="created_at", limit=2, offset=0)).json()
        second = (await harness.search(sort="created_at", limit=2, offset=2)).json()
        assert first["total"] == second["total"] == 4
        assert (first["limit"], first["offset"], second["offset"]) == (2, 0, 2)
        assert set(first) == {"items", "total", "limit", "offset"}
        assert len({i["file_id"] for i in first["items"] + second["items"]}) == 4

    async def test_facets(self, harness, corpus):
        body = (await harness.search(facets="true")).json()
        facets = body["facets"]
        assert {"value": "application/pdf", "count": 2} in facets["content_type"]
        assert {"value": "permanent", "count": 3} in facets["retention_policy"]
        assert {"value": str(SE_AR), "count": 1} in facets["storage_element_id"]
        # A file counts under each of its tags; the most used tag comes first.
        assert facets["tags"][0] == {"value": "legal", "count": 2}
        assert {"value": "finance", "count": 1} in facets["tags"]
        # Files per UTC day, newest day first.
        assert facets["created_day"][:3] == [{"value": "2026-01-12", "count": 1},
                                             {"value": "2026-01-11", "count": 1},
                                             {"value": "2026-01-10", "count": 1}]

    async def test_facets_follow_the_filters(self, harness, corpus):
        body = (await harness.search(tags="legal", facets="true")).json()
        assert {f["value"] for f in body["facets"]["tags"]} == {"legal", "2026", "scan"}
        assert sum(f["count"] for f in body["facets"]["created_day"]) == body["total"] == 2

    async def test_post_accepts_the_same_fields(self, harness, corpus):
        response = await harness.client.post(
            "/api/v1/search", headers=harness.headers(),
            json={"q": "договор", "tags": ["legal"], "facets": True, "limit": 5})
        assert ids(response) == [corpus["contract"]]
        assert response.json()["facets"]["content_type"][0]["count"] == 1


class TestBadInput:
    @pytest.mark.parametrize(
        "params",
        [
            {"mode": "fuzzy"},
            {"sort": "owner"},
            {"order": "up"},
            {"created_from": "yesterday"},
            {"size_min": 10, "size_max": 5},
            {"created_from": "2026-02-01T00:00:00Z", "created_to": "2026-01-01T00:00:00Z"},
            {"limit": 0},
            {"limit": 100000},
            {"offset": -1},
            {"size_min": -5},
            {"status": "gone"},
            {"se_mode": "xx"},
            {"storage_element_id": "not-a-uuid"},
            {"unknown_param": "1"},
        ],
    )
    async def test_rejected_with_error_shape(self, harness, params):
        response = await harness.search(**params)
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["code"] == "VALIDATION_ERROR"
        assert error["details"]["errors"]

    async def test_post_rejects_bad_body(self, harness):
        response = await harness.client.post("/api/v1/search", headers=harness.headers(),
                                             json={"size_min": 9, "size_max": 1})
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"

    async def test_without_token_401(self, harness):
        response = await harness.client.get("/api/v1/search")
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "UNAUTHORIZED"

    async def test_unknown_role_grants_nothing_403(self, harness):
        response = await harness.search(role="SOMETHING")
        assert response.status_code == 403
