# ruff: noqa: F811  (fixtures imported from test_ui_admin are used by name)
"""Previews and daily search work in the admin UI (issues 16 and 12), in Debian's headless
Chromium against the real suite: PDF pages drawn by pdf.js from Range requests (bytes counted),
Office documents shown as their extracted text, image thumbnails in the list (bytes counted),
body snippets, each file's extraction state, saved searches kept on the server and bulk tag
removal. English and Russian, desktop and phone; any console error fails a test.

Fixtures come from test_ui_admin; screenshots land in .artstore/screenshots/i16-preview-*.png.
"""

from __future__ import annotations

import io
import json
import os
import re
import uuid

import httpx
import pytest

pytest.importorskip("playwright", reason="playwright is a dev dependency (uv sync)")
from document_samples import FONT, docx  # noqa: E402
from e2e_support import wait_for  # noqa: E402
from playwright.sync_api import Page, expect  # noqa: E402
from test_ui_admin import (  # noqa: E402,F401  (fixtures are found by name)
    DESKTOP,
    PHONE,
    _api_failure,
    _no_sideways_scroll,
    admin_page,
    admin_session,
    api_token,
    browser,
    env,
    page,
    shot,
    ui_build,
    ui_url,
)

pytestmark = pytest.mark.e2e

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _store(env, token: str, name: str, body: bytes, content_type: str, **data) -> str:
    r = httpx.post(env["INGESTER_URL"] + "/api/v1/files", headers=_auth(token),
                   data={"retention_policy": "temporary", **data},
                   files={"file": (name, body, content_type)}, timeout=300)
    assert r.status_code == 201, r.text
    return r.json()["file_id"]


def _extracted(env, token: str, file_id: str) -> dict:
    """The file's catalogue entry once its text extraction has finished."""
    def state():
        r = httpx.get(f"{env['QUERY_URL']}/api/v1/files/{file_id}", headers=_auth(token))
        if r.status_code == 200 and r.json()["text_extraction"]["state"] != "pending":
            return r.json()
        return None
    return wait_for(state, f"text extraction of {file_id}", timeout=600, interval=0.5)


def _big_pdf(pages: int) -> bytes:
    """Every page a line of text and a picture of noise (incompressible), so the file is large
    and a page's bytes are only a small part of it."""
    from PIL import Image
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    if "NotoSans" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("NotoSans", str(FONT)))
    out = io.BytesIO()
    pdf = canvas.Canvas(out)
    for n in range(1, pages + 1):
        pdf.setFont("NotoSans", 20)
        pdf.drawString(60, 780, f"Страница {n} из {pages}: отчёт о проверке")
        noise = Image.frombytes("RGB", (300, 300), os.urandom(300 * 300 * 3))
        pdf.drawImage(ImageReader(noise), 60, 380, width=380, height=380)
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def _noise_png(width: int, height: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)).save(out, "PNG")
    return out.getvalue()


class _Traffic:
    """Bytes and requests the page made to URLs containing `part` (measured in the browser;
    its HTTP cache is emptied first, so an earlier test's answers are not counted as free)."""

    def __init__(self, page: Page, part: str) -> None:
        self.requests: list[dict] = []
        self.part = part
        page.context.new_cdp_session(page).send("Network.clearBrowserCache")
        page.on("requestfinished", self._done)

    def _done(self, request) -> None:
        if self.part in request.url:
            response = request.response()
            self.requests.append({
                "url": request.url, "range": request.headers.get("range"),
                "status": response.status if response else None,
                "bytes": request.sizes()["responseBodySize"],
            })

    @property
    def total(self) -> int:
        return sum(r["bytes"] for r in self.requests)


@pytest.fixture(scope="module")
def big_pdf(env, api_token) -> dict:
    body = _big_pdf(24)
    file_id = _store(env, api_token, f"отчёт-{uuid.uuid4().hex[:6]}.pdf", body, "application/pdf")
    _extracted(env, api_token, file_id)
    return {"file_id": file_id, "size": len(body)}


class TestPdfPreview:
    @pytest.mark.parametrize(("lang", "viewport"), [("en", DESKTOP), ("ru", PHONE)])
    def test_pages_are_drawn_from_ranges_not_the_whole_file(
        self, admin_page: Page, big_pdf, lang, viewport
    ):
        page = admin_page
        page.set_viewport_size(viewport)
        page.get_by_test_id(f"lang-{lang}").click()
        try:
            traffic = _Traffic(page, f"/files/{big_pdf['file_id']}/download")
            page.goto(f"/files/{big_pdf['file_id']}")
            canvas = page.get_by_test_id("pdf-canvas")
            expect(canvas).to_have_attribute("data-rendered", "1", timeout=60_000)
            label = page.get_by_test_id("pdf-page")
            expect(label).to_have_text("Page 1 of 24" if lang == "en" else "Страница 1 из 24")
            first = traffic.total
            assert traffic.requests and all(r["range"] and r["status"] == 206
                                            for r in traffic.requests), traffic.requests
            assert first < big_pdf["size"] * 0.2, (first, big_pdf["size"], traffic.requests)
            shot(page, f"i16-preview-pdf-{lang}-{'desktop' if viewport == DESKTOP else 'phone'}")
            # Something was drawn: the canvas is not blank white.
            assert canvas.evaluate("""c => { const d = c.getContext('2d')
                .getImageData(0, 0, c.width, c.height).data;
                for (let i = 0; i < d.length; i += 4) if (d[i] < 250) return true;
                return false; }""")

            page.get_by_test_id("pdf-next").click()
            expect(canvas).to_have_attribute("data-rendered", "2", timeout=60_000)
            expect(label).to_have_text("Page 2 of 24" if lang == "en" else "Страница 2 из 24")
            assert traffic.total > first  # page 2's picture was fetched when it was needed
            assert traffic.total < big_pdf["size"] * 0.3, (traffic.total, big_pdf["size"])
            print(f"pdf preview ({lang}): {big_pdf['size']} B file, page 1 after {first} B, "
                  f"page 2 after {traffic.total} B in {len(traffic.requests)} range requests")
            if viewport == PHONE:
                _no_sideways_scroll(page)

            # The PDF's text layer, as extracted by the query module.
            page.get_by_test_id("preview-text-tab").click()
            expect(page.get_by_test_id("preview-extracted")).to_contain_text(
                "Страница 1 из 24: отчёт о проверке")
            expect(page.get_by_test_id("file-text-state")).to_have_text(
                "Text extracted" if lang == "en" else "Текст извлечён")
        finally:
            page.get_by_test_id("lang-en").click()

    def test_a_failing_download_shows_the_error_and_retry_draws_the_page(
        self, admin_page: Page, big_pdf
    ):
        page = admin_page
        pattern = re.compile(rf"/files/{big_pdf['file_id']}/download")
        _api_failure(page, pattern, "503")
        page.goto(f"/files/{big_pdf['file_id']}")
        preview = page.get_by_test_id("file-preview")
        expect(preview.get_by_test_id("state-error")).to_contain_text(
            "The PDF could not be shown")
        shot(page, "i16-preview-pdf-503")
        page.unroute(pattern)
        preview.get_by_test_id("state-retry").click()
        expect(page.get_by_test_id("pdf-canvas")).to_have_attribute("data-rendered", "1",
                                                                   timeout=60_000)


class TestExtractedText:
    def test_a_docx_is_shown_as_its_text_in_both_languages(self, admin_page: Page, env,
                                                          api_token):
        words = f"Протокол совещания {uuid.uuid4().hex[:6]} о поставках оборудования"
        file_id = _store(env, api_token, "протокол.docx", docx([words, "Решили: утвердить."]),
                         DOCX_TYPE)
        meta = _extracted(env, api_token, file_id)
        assert meta["text_extraction"]["state"] == "done"
        page = admin_page
        for lang, viewport, label in (("en", DESKTOP, "Text extracted"),
                                      ("ru", PHONE, "Текст извлечён")):
            page.set_viewport_size(viewport)
            page.get_by_test_id(f"lang-{lang}").click()
            page.goto(f"/files/{file_id}")
            expect(page.get_by_test_id("preview-extracted")).to_contain_text(words)
            expect(page.get_by_test_id("file-text-state")).to_have_text(label)
            shot(page, f"i16-preview-docx-{lang}-{'desktop' if viewport == DESKTOP else 'phone'}")
        page.get_by_test_id("lang-en").click()

    def test_pending_no_text_and_failure_states(self, admin_page: Page, env, api_token):
        file_id = _store(env, api_token, "заметки.rtf", b"{\\rtf1 \\ansi hello}",
                         "application/rtf")
        _extracted(env, api_token, file_id)
        page = admin_page
        url = re.compile(rf"/api/v1/files/{file_id}/text")
        # While the query module has not extracted it yet, it answers 409 TEXT_PENDING.
        pending = {"error": {"code": "TEXT_PENDING", "message": "not yet",
                             "details": {"state": "pending", "reason": None}}}
        page.route(url, lambda r: r.fulfill(status=409, content_type="application/json",
                                            body=json.dumps(pending)))
        page.goto(f"/files/{file_id}")
        expect(page.get_by_test_id("preview-no-text")).to_contain_text("still being extracted")
        page.unroute(url)
        _api_failure(page, url, "503")
        page.reload()
        preview = page.get_by_test_id("file-preview")
        expect(preview.get_by_test_id("state-error-message")).to_contain_text(
            re.compile("restarting|unavailable", re.I))
        shot(page, "i16-preview-text-503")
        page.unroute(url)
        preview.get_by_test_id("state-retry").click()
        expect(page.get_by_test_id("preview-extracted")).to_contain_text("hello")

    def test_a_type_without_text_says_why(self, admin_page: Page, env, api_token):
        file_id = _store(env, api_token, "архив.7z", b"7z\xbc\xaf\x27\x1c" + os.urandom(64),
                         "application/x-7z-compressed")
        meta = _extracted(env, api_token, file_id)
        assert meta["text_extraction"]["state"] == "skipped"
        page = admin_page
        page.goto(f"/files/{file_id}")
        expect(page.get_by_test_id("preview-none")).to_be_visible()
        state = page.get_by_test_id("file-text-state")
        expect(state).to_have_attribute("data-state", "skipped")
        expect(state).to_contain_text("Not extracted")
        expect(state).to_contain_text("application/x-7z-compressed")


@pytest.fixture(scope="module")
def scans(env, api_token) -> dict:
    marker = f"scan{uuid.uuid4().hex[:6]}"
    bodies = [_noise_png(1400, 1000) for _ in range(6)]
    ids = [_store(env, api_token, f"{marker}-{i}.png", body, "image/png",
                  tags=json.dumps([marker])) for i, body in enumerate(bodies)]
    ids.append(_store(env, api_token, f"{marker}-notes.txt", b"not an image", "text/plain",
                      tags=json.dumps([marker])))
    for file_id in ids:
        wait_for(lambda f=file_id: httpx.get(f"{env['QUERY_URL']}/api/v1/files/{f}",
                                             headers=_auth(api_token)).status_code == 200,
                 f"{file_id} in the catalogue")
    return {"marker": marker, "ids": ids, "image_bytes": sum(map(len, bodies))}


class TestThumbnails:
    @pytest.mark.parametrize(("lang", "viewport"), [("en", DESKTOP), ("ru", PHONE)])
    def test_the_list_shows_small_thumbnails_not_the_images(self, admin_page: Page, scans,
                                                            lang, viewport):
        page = admin_page
        page.set_viewport_size(viewport)
        page.get_by_test_id(f"lang-{lang}").click()
        try:
            thumbs = _Traffic(page, "/thumbnail")
            downloads = _Traffic(page, "/download")
            page.goto(f"/files?tag={scans['marker']}&sort=name&order=asc")
            expect(page.get_by_test_id("files-table").locator("tbody tr")).to_have_count(7)
            # Lazy: rows below the window ask for theirs when scrolled to.
            for row in page.get_by_test_id("files-table").locator("tbody tr").all():
                row.scroll_into_view_if_needed()
            images = page.get_by_test_id("thumb")
            expect(images).to_have_count(6, timeout=60_000)  # the text file has none
            for img in images.all():
                wait_for(lambda i=img: i.evaluate("i => i.complete && i.naturalWidth > 0"),
                         "thumbnail decoded", timeout=30)
                assert max(img.evaluate("i => [i.naturalWidth, i.naturalHeight]")) <= 96
            assert not downloads.requests
            assert len(thumbs.requests) == 6 and all(r["status"] == 200 for r in thumbs.requests)
            assert thumbs.total < scans["image_bytes"] / 100, (thumbs.total, scans["image_bytes"])
            print(f"thumbnails ({lang}): 6 images of {scans['image_bytes']} B in all, "
                  f"{thumbs.total} B of thumbnails")
            if viewport == PHONE:
                _no_sideways_scroll(page)
            shot(page, f"i16-preview-thumbs-{lang}-{'desktop' if viewport == DESKTOP else 'phone'}")
        finally:
            page.get_by_test_id("lang-en").click()


class TestSearchWork:
    def test_body_snippet_marks_the_words_found_only_in_the_text(self, admin_page: Page, env,
                                                                 api_token):
        word = f"накладная{uuid.uuid4().hex[:5]}"
        body = (f"Сопроводительное письмо. В приложении {word} за март и акт приёмки. "
                "Просим подписать и вернуть один экземпляр.").encode()
        file_id = _store(env, api_token, "письмо.txt", body, "text/plain; charset=utf-8")
        assert _extracted(env, api_token, file_id)["text_extraction"]["state"] == "done"
        page = admin_page
        page.goto(f"/files?q={word}")
        snippet = page.get_by_test_id("files-body-snippet")
        expect(snippet).to_have_count(1)
        expect(snippet.locator("mark")).to_have_text(word)
        expect(snippet).to_contain_text("Сопроводительное письмо")
        assert "<" not in snippet.inner_text()
        shot(page, "i16-preview-snippet-en-desktop")

    def test_saved_searches_live_on_the_server_and_local_ones_move_there(
        self, admin_page: Page, env, api_token
    ):
        page = admin_page
        marker = uuid.uuid4().hex[:6]
        user = env["ARTSTORE_ADMIN_USER"]
        # A list an earlier version kept in this browser is moved to the server once.
        page.evaluate("([k, v]) => localStorage.setItem(k, v)", [
            f"artstore.savedSearches.{user}",
            json.dumps([{"name": f"Старый {marker}", "params": {"q": marker, "size": 50,
                                                                 "tag": ["a", "b"]}}])])
        page.goto("/files")
        expect(page.get_by_test_id(f"saved-Старый {marker}")).to_be_visible()
        assert page.evaluate(f"localStorage.getItem('artstore.savedSearches.{user}')") is None
        page.goto(f"/files?q={marker}&sort=size&order=desc")
        page.get_by_test_id("saved-add").click()
        page.get_by_test_id("saved-name").fill(f"Новый {marker}")
        page.get_by_test_id("saved-save").click()
        expect(page.get_by_test_id(f"saved-Новый {marker}")).to_be_visible()

        listed = httpx.get(env["ADMIN_URL"] + "/api/v1/saved-searches",
                           headers=_auth(api_token)).json()["items"]
        mine = {s["name"]: s["params"] for s in listed if marker in s["name"]}
        assert mine == {f"Старый {marker}": {"q": marker, "size": "50", "tag": ["a", "b"]},
                        f"Новый {marker}": {"q": marker, "sort": "size", "order": "desc"}}

        # Another browser (a fresh context) sees them too.
        context = page.context.browser.new_context(base_url=page.url.split("/files")[0])
        other = context.new_page()
        try:
            token = page.evaluate("() => Object.entries(sessionStorage)")
            for key, value in token:
                other.add_init_script(
                    f"sessionStorage.setItem({json.dumps(key)}, {json.dumps(value)})")
            other.goto("/files")
            expect(other.get_by_test_id(f"saved-Новый {marker}")).to_be_visible()
            other.get_by_test_id(f"saved-Новый {marker}").click()
            expect(other).to_have_url(re.compile(rf"q={marker}&sort=size&order=desc"))
        finally:
            context.close()

        page.get_by_role("button", name=f"Delete Новый {marker}").click()
        expect(page.get_by_test_id(f"saved-Новый {marker}")).to_have_count(0)
        page.get_by_role("button", name=f"Delete Старый {marker}").click()
        expect(page.get_by_test_id(f"saved-Старый {marker}")).to_have_count(0)

    def test_saved_searches_failure_is_shown_with_retry(self, admin_page: Page):
        page = admin_page
        pattern = re.compile(r"/api/v1/saved-searches")
        _api_failure(page, pattern, "down")
        page.goto("/files")
        expect(page.get_by_test_id("saved-error")).to_contain_text(
            "Saved searches could not be loaded")
        page.unroute(pattern)
        page.get_by_test_id("saved-retry").click()
        expect(page.get_by_test_id("saved-error")).to_have_count(0)

    @pytest.mark.parametrize(("lang", "viewport"), [("en", DESKTOP), ("ru", PHONE)])
    def test_bulk_tag_removal(self, admin_page: Page, env, api_token, lang, viewport):
        marker = f"rm{uuid.uuid4().hex[:6]}"
        ids = [_store(env, api_token, f"{marker}-{i}.txt", b"x", "text/plain",
                      tags=json.dumps([marker, "keep", f"drop{marker}"] if i < 2
                                      else [marker, "keep"])) for i in range(3)]
        for file_id in ids:
            wait_for(lambda f=file_id: httpx.get(f"{env['QUERY_URL']}/api/v1/files/{f}",
                                                 headers=_auth(api_token)).status_code == 200,
                     f"{file_id} in the catalogue")
        page = admin_page
        page.set_viewport_size(viewport)
        page.get_by_test_id(f"lang-{lang}").click()
        try:
            page.goto(f"/files?tag={marker}")
            expect(page.get_by_test_id("tick")).to_have_count(3)
            for tick in page.get_by_test_id("tick").all():  # the header row is hidden on a phone
                tick.click()
            page.get_by_test_id("bulk-untag").click()
            dialog = page.get_by_test_id("bulk-dialog")
            expect(dialog).to_contain_text(f"drop{marker}")
            dialog.get_by_test_id("bulk-tags").fill(f"drop{marker}")
            shot(page, f"i16-preview-untag-{lang}-{'desktop' if viewport == DESKTOP else 'phone'}")
            page.get_by_test_id("bulk-run").click()
            expect(page.get_by_test_id("bulk-summary")).to_be_visible(timeout=60_000)
            expect(page.locator("[data-testid=bulk-result][data-state=ok]")).to_have_count(3)
            page.get_by_test_id("bulk-close").click()
        finally:
            page.get_by_test_id("lang-en").click()

        def tags_of(file_id: str) -> list[str]:
            return httpx.get(f"{env['QUERY_URL']}/api/v1/files/{file_id}",
                             headers=_auth(api_token)).json()["tags"]
        wait_for(lambda: all(tags_of(f) == [marker, "keep"] for f in ids), "tags removed")
