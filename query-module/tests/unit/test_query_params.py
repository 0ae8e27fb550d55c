"""Search parameter validation and the SQL it turns into (compiled, not executed)."""

from __future__ import annotations

import uuid

import pytest
from pydantic import ValidationError
from sqlalchemy.dialects import postgresql

from query_module.search import repository as query
from query_module.search.schemas import SearchParams


def sql(params: SearchParams, modes=None) -> str:
    conds = query.filter_conditions(params, modes)
    stmt = query.items_query(params, conds)
    return str(stmt.compile(dialect=postgresql.dialect()))


class TestValidation:
    def test_defaults(self):
        p = SearchParams()
        assert (p.mode, p.limit, p.offset, p.facets) == ("fulltext", 50, 0, False)
        assert (p.effective_sort, p.effective_order) == ("created_at", "desc")

    def test_relevance_is_default_with_text(self):
        assert SearchParams(q="x").effective_sort == "relevance"
        assert SearchParams(q="x", mode="exact").effective_sort == "created_at"

    def test_name_sorts_ascending_by_default(self):
        assert SearchParams(sort="name").effective_order == "asc"

    def test_single_values_become_lists(self):
        p = SearchParams.model_validate({"tags": "a", "status": "active", "se_mode": "rw"})
        assert (p.tags, p.status, p.se_mode) == (["a"], ["active"], ["rw"])

    def test_blank_q_is_none(self):
        assert SearchParams(q="   ").q is None

    def test_naive_dates_are_utc(self):
        p = SearchParams(created_from="2026-01-01T00:00:00")
        assert p.created_from.utcoffset().total_seconds() == 0

    @pytest.mark.parametrize(
        "raw",
        [
            {"mode": "regex"},
            {"sort": "owner"},
            {"order": "sideways"},
            {"limit": 0},
            {"limit": 1001},
            {"offset": -1},
            {"size_min": 5, "size_max": 4},
            {"expires_from": "2026-02-01", "expires_to": "2026-01-01"},
            {"created_to": "not a date"},
            {"tags": [""]},
            {"storage_element_id": ["nope"]},
            {"whatever": 1},
            {"q": "x" * 501},
        ],
    )
    def test_rejected(self, raw):
        with pytest.raises(ValidationError):
            SearchParams.model_validate(raw)


class TestQueryBuilding:
    def test_fulltext_ors_stems_and_lemmas_and_ranks(self):
        text = sql(SearchParams(q="договоры"))
        assert "plainto_tsquery('russian'::regconfig" in text
        assert "plainto_tsquery('simple'::regconfig" in text  # the lemma «договор»
        assert "ts_rank" in text and "ts_headline" in text

    def test_partial_uses_escaped_like(self):
        assert query.like_pattern("50%_a\\") == "%50\\%\\_a\\\\%"
        assert "lower(catalog_files.original_filename) LIKE" in sql(
            SearchParams(q="x", mode="partial"))

    def test_deleted_hidden_by_default(self):
        assert "catalog_files.status !=" in sql(SearchParams())
        assert "catalog_files.status IN" in sql(SearchParams(status=["deleted"]))

    def test_se_mode_without_matching_se_matches_nothing(self):
        assert "false" in sql(SearchParams(se_mode=["ar"]), modes=set())

    def test_se_mode_restricts_to_those_ses(self):
        se = uuid.uuid4()
        assert "storage_element_id IN" in sql(SearchParams(se_mode=["ar"]), modes={se})

    def test_stable_tiebreak_on_file_id(self):
        assert "catalog_files.file_id DESC" in sql(SearchParams(sort="size"))


# issue 14: strict types, bounds and storable text ------------------------------------------
@pytest.mark.parametrize("raw", [
    {"offset": False}, {"limit": True}, {"offset": 2.0}, {"offset": "2.0"},
    {"size_min": 2**63}, {"size_max": str(2**64)}, {"expires_to": 0.5},
    {"created_from": "1700000000"}, {"q": "a\x00b"}, {"q": "a\ud800"}, {"tags": ["x\x00"]},
    {"uploaded_by": "\x00"},
])
def test_search_params_refuse_loose_or_unstorable_values(raw):
    with pytest.raises(ValidationError):
        SearchParams.model_validate(raw)


def test_search_params_accept_strict_values():
    params = SearchParams.model_validate({"offset": "5", "size_max": 2**63 - 1,
                                          "expires_to": "2026-01-01T00:00:00Z", "q": "Счёт"})
    assert (params.offset, params.size_max, params.q) == (5, 2**63 - 1, "Счёт")
