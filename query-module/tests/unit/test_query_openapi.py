"""The app builds without servers and documents its API cleanly."""

from __future__ import annotations

import warnings

from query_module.config import Settings
from query_module.main import create_app


def test_openapi_lists_every_endpoint_without_warnings():
    app = create_app(Settings(JWKS_URL="http://127.0.0.1:9/jwks"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        schema = app.openapi()
    paths = schema["paths"]
    assert set(paths["/api/v1/files/{file_id}/download"]) == {"get", "head"}
    assert {"get", "post"} <= set(paths["/api/v1/search"])
    names = {p["name"] for p in paths["/api/v1/search"]["get"]["parameters"]}
    assert {"q", "mode", "sort", "order", "facets", "limit", "offset", "se_mode"} <= names
    assert "post" in paths["/api/v1/admin/reindex"]
