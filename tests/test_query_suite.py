"""The query module inside the whole suite (admin, SEs, ingester, query as processes):
re-index from the real SEs' listings with the query's own service account, compressed
uploads downloaded as their original bytes, HEAD, facets, and no SE address ever leaking."""

from __future__ import annotations

import uuid

import httpx
import pytest
from e2e_support import Api, sha256, wait_for

pytestmark = pytest.mark.e2e


def query(api: Api, method: str, path: str, **kwargs) -> httpx.Response:
    return httpx.request(method, api.env["QUERY_URL"] + path, headers={
        **api.headers, **kwargs.pop("headers", {})}, timeout=120.0, **kwargs)


@pytest.fixture(scope="module")
def uploaded(api) -> dict:
    marker = "qs" + uuid.uuid4().hex[:8]
    content = ("Счёт-фактура за поставку оборудования\n" * 4000).encode()
    response = api.upload(f"Счёт {marker}.txt", content, tags=marker, compress="true",
                          description="Счета поставщиков", retention_policy="temporary")
    assert response.status_code == 201, response.text
    record = response.json()
    wait_for(lambda: api.search(tags=marker)["items"], "the upload in the catalog")
    return {"marker": marker, "content": content, "record": record}


def test_compressed_upload_downloads_original_bytes(api, uploaded):
    record = uploaded["record"]
    meta = api.metadata(record["file_id"]).json()
    assert meta["compressed"] is record["compressed"]
    response = api.download(record["file_id"])
    assert response.status_code == 200
    assert response.content == uploaded["content"]
    assert sha256(response.content) == record["sha256"]


def test_head_and_range_on_the_real_chain(api, uploaded):
    file_id = uploaded["record"]["file_id"]
    head = query(api, "HEAD", f"/api/v1/files/{file_id}/download")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(uploaded["content"]))
    tail = query(api, "GET", f"/api/v1/files/{file_id}/download",
                 headers={"Range": "bytes=-100"})
    assert tail.status_code == 206 and tail.content == uploaded["content"][-100:]


def test_search_facets_and_highlights(api, uploaded):
    body = api.search(q="счета", tags=uploaded["marker"], facets="true")
    assert [i["file_id"] for i in body["items"]] == [uploaded["record"]["file_id"]]
    assert body["facets"]["content_type"][0]["count"] == 1
    assert "<mark>" in body["items"][0]["highlights"]["description"]


def test_no_storage_element_address_leaks(api, uploaded):
    urls = [se["api_url"] for se in api.storage_elements()]
    file_id = uploaded["record"]["file_id"]
    responses = [
        query(api, "GET", "/api/v1/search", params={"tags": uploaded["marker"]}),
        api.metadata(file_id),
        query(api, "GET", f"/api/v1/files/{file_id}/download", headers={"Range": "bytes=0-9"}),
    ]
    for response in responses:
        seen = response.text + str(response.headers)
        assert not any(url in seen for url in urls)


def _catalog_ids(api) -> set[str]:
    ids: set[str] = set()
    while True:
        page = api.search(limit=200, offset=len(ids))
        ids |= {item["file_id"] for item in page["items"]}
        if not page["items"] or len(ids) >= page["total"]:
            return ids


def _held_by_an_se(api, file_id: str) -> bool:
    return any(httpx.get(f"{url}/api/v1/files/{file_id}", headers=api.headers,
                         timeout=30).status_code == 200
               for url in api.env["SE_URLS"].split(","))


def test_reindex_from_real_ses_keeps_every_file(api, uploaded):
    before = _catalog_ids(api)
    started = query(api, "POST", "/api/v1/admin/reindex")
    assert started.status_code == 202, started.text

    def finished() -> dict | None:
        status = query(api, "GET", "/api/v1/admin/reindex/status").json()
        return status if not status["running"] and status["status"] != "running" else None

    status = wait_for(finished, "the re-index to finish", timeout=120)
    assert status["status"] == "completed", status
    assert all(p["done"] and not p["error"] for p in status["storage_elements"])
    assert status["totals"]["listed"] >= 1
    # Every file an SE holds stays; only a row no SE holds any more (left by the fault tests
    # that share this suite) may go.
    gone = before - _catalog_ids(api)
    assert not [f for f in gone if _held_by_an_se(api, f)]
    assert api.search(tags=uploaded["marker"])["total"] == 1


def test_reindex_needs_a_token(api):
    response = httpx.post(api.env["QUERY_URL"] + "/api/v1/admin/reindex")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHORIZED"


def test_scan_and_docx_found_by_body_words_through_the_suite(api):
    """Uploaded through the ingester: the query module extracts the text off the upload path
    (OCR for the scan) and finds both by words only their bodies hold, in other forms."""
    from document_samples import docx, scan_pdf

    marker = "tx" + uuid.uuid4().hex[:8]
    scan = api.upload(f"scan_{marker}.pdf", scan_pdf([
        "Уважаемые коллеги!", "Направляем акты приёмки трансформаторов",
        "и просим вернуть подписанные экземпляры."]), tags=marker)
    word = api.upload(f"doc_{marker}.docx", docx([
        "Протокол совещания по вопросам реконструкции водопроводных сетей."]), tags=marker)
    assert scan.status_code == 201 and word.status_code == 201, (scan.text, word.text)
    ids = {scan.json()["file_id"]: "акт приемки трансформатора",
           word.json()["file_id"]: "реконструкция водопроводной сети"}
    for file_id, words in ids.items():
        hits = wait_for(lambda w=words: api.search(q=w, tags=marker)["items"],
                        f"text of {file_id} searchable", timeout=180)
        assert [h["file_id"] for h in hits] == [file_id]
        assert "<mark>" in hits[0]["snippet"]
        assert api.metadata(file_id).json()["text_extraction"]["state"] == "done"
