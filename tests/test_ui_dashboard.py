# ruff: noqa: F811  (fixtures imported from test_ui_admin are used by name)
"""The dashboard's figures and the file page's "Check integrity now" and "Extend retention"
(issue 16) in headless Chromium against the real suite, in English and Russian, at 1440×900 and
390×844; any console error fails a test (the fixtures from test_ui_admin check it). The suite
samples every 5 s and sets GRAFANA_URL (scripts/suite.py).
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

pytest.importorskip("playwright", reason="playwright is a dev dependency (uv sync)")
from e2e_support import client_token, wait_for  # noqa: E402
from playwright.sync_api import Page, expect  # noqa: E402
from test_ui_admin import (  # noqa: E402,F401  (fixtures are found by name)
    DESKTOP,
    PHONE,
    _api_failure,
    _no_sideways_scroll,
    _wait_indexed,
    admin_page,
    admin_session,
    api_token,
    browser,
    env,
    shot,
    ui_build,
    ui_url,
)

pytestmark = pytest.mark.e2e

SIZES = {"desktop": DESKTOP, "phone": PHONE}
TEXT = {
    "en": {"capacity": "Capacity over time", "fixity": "Fixity checks", "grafana": "Storage",
           "mismatch": "checksum mismatch", "ok": "intact", "problem": "Not every copy passed",
           "allOk": "copies match their SHA-256", "expires": "Every copy now expires",
           "kept": "Every copy is now kept until"},
    "ru": {"capacity": "Заполнение по времени", "fixity": "Проверка целостности",
           "grafana": "Хранилища", "mismatch": "контрольная сумма не совпадает", "ok": "цела",
           "problem": "Не все копии прошли проверку", "allOk": "совпадают с SHA-256",
           "expires": "Все копии теперь истекают", "kept": "Все копии теперь хранятся до"},
}


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def system_token(env) -> str:
    return client_token(env["ADMIN_URL"], env["ARTSTORE_CLIENT_ID"], env["ARTSTORE_CLIENT_SECRET"])


def _upload(env, token: str, policy: str) -> dict:
    body = f"Акт проверки {uuid.uuid4().hex}. " + "Integrity check, строка текста. " * 120
    r = httpx.post(env["INGESTER_URL"] + "/api/v1/files", headers=_headers(token),
                   data={"retention_policy": policy},
                   files={"file": (f"проверка-{uuid.uuid4().hex[:6]}.txt", body.encode(),
                                   "text/plain")},
                   timeout=120)
    assert r.status_code == 201, r.text
    return r.json()


def _flip_a_byte(env, file_id: str) -> str:
    for directory in env["SE_DATA_DIRS"].split(","):
        sidecar = next(Path(directory).rglob(f"*{file_id}*.attr.json"), None)
        if sidecar is not None:
            data = sidecar.with_name(sidecar.name.removesuffix(".attr.json"))
            rotten = bytearray(data.read_bytes())
            rotten[len(rotten) // 2] ^= 0x01
            data.write_bytes(bytes(rotten))
            return Path(directory).name
    raise AssertionError("no local copy to damage")


def _language(page: Page, lang: str) -> None:
    page.get_by_test_id(f"lang-{lang}").click()
    assert page.evaluate("document.documentElement.lang") == lang


@pytest.fixture
def english(admin_page: Page):
    yield admin_page
    admin_page.set_viewport_size(DESKTOP)
    admin_page.get_by_test_id("lang-en").click()


def _ses(env, token: str) -> list[str]:
    r = httpx.get(env["ADMIN_URL"] + "/api/v1/storage-elements", params={"limit": 100},
                  headers=_headers(token))
    return sorted(se["name"] for se in r.json()["items"] if se["status"] == "online")


@pytest.fixture(scope="module")
def activity(env, api_token) -> None:
    """An upload and a download the audit chain (fed by the access trail) has counted."""
    file_id = _upload(env, api_token, "temporary")["file_id"]
    _wait_indexed(env, api_token, file_id)
    r = httpx.get(f"{env['QUERY_URL']}/api/v1/files/{file_id}/download",
                  headers=_headers(api_token))
    assert r.status_code == 200

    def counted() -> bool:
        totals = httpx.get(env["ADMIN_URL"] + "/api/v1/dashboard/activity",
                           headers=_headers(api_token)).json()["totals"]
        return totals["uploads"] >= 1 and totals["downloads"] >= 1

    wait_for(counted, "the upload and download in the audit counts")


class TestDashboardFigures:
    @pytest.mark.parametrize("size", ["desktop", "phone"])
    @pytest.mark.parametrize("lang", ["en", "ru"])
    def test_capacity_fixity_activity_and_grafana(self, english: Page, env, api_token, activity,
                                                  lang, size):
        page = english
        names = _ses(env, api_token)
        wait_for(lambda: set(names) <= {s["name"] for s in httpx.get(
            env["ADMIN_URL"] + "/api/v1/dashboard/capacity",
            headers=_headers(api_token)).json()["series"]}, "a sample of every storage element")
        page.set_viewport_size(SIZES[size])
        page.goto("/dashboard")
        _language(page, lang)
        capacity = page.get_by_test_id("dash-capacity")
        expect(capacity.locator("h2")).to_contain_text(TEXT[lang]["capacity"])
        expect(capacity.locator("polyline")).not_to_have_count(0)
        for name in names:
            expect(capacity.get_by_test_id(f"capacity-{name}")).to_be_visible()
        fixity = page.get_by_test_id("dash-fixity")
        expect(fixity.locator("h2")).to_have_text(TEXT[lang]["fixity"])
        expect(fixity.get_by_test_id("fixity-verified")).to_have_text(re.compile(r"^\d"))
        for name in names:
            expect(fixity.get_by_test_id(f"fixity-{name}")).to_be_visible()
        rates = page.get_by_test_id("dash-activity-rates")
        expect(rates.get_by_test_id("activity-uploads")).to_have_text(re.compile(r"^[1-9]"))
        expect(rates.get_by_test_id("activity-downloads")).to_have_text(re.compile(r"^[1-9]"))
        expect(rates.get_by_test_id("activity-chart").locator(".col")).not_to_have_count(0)
        link = page.get_by_test_id("grafana-storage")
        expect(link).to_contain_text(TEXT[lang]["grafana"])
        expect(link).to_have_attribute("href", re.compile(r"^http.+/d/artstore-storage$"))
        _no_sideways_scroll(page)
        shot(page, f"i16-dash-{lang}-{size}")

    @pytest.mark.parametrize("kind", ["503", "down"])
    def test_each_panel_says_when_its_figures_fail_and_retry_recovers(self, english: Page,
                                                                      kind):
        page = english
        pattern = re.compile(r"/api/v1/dashboard/(capacity|fixity|activity)(\?.*)?$")
        _api_failure(page, pattern, kind)
        page.goto("/dashboard")
        for panel, what in (("dash-capacity", "capacity"), ("dash-fixity", "fixity"),
                            ("dash-activity-rates", "activity")):
            error = page.get_by_test_id(panel).get_by_test_id("state-error")
            expect(error).to_contain_text(f"Could not load the {what} figures")
            if kind == "503":
                expect(error).to_contain_text("query module is restarting")
        expect(page.get_by_test_id("dash-capacity").locator("polyline")).to_have_count(0)
        if kind == "503":
            shot(page, "i16-dash-503-en-desktop")
        page.unroute(pattern)
        for panel in ("dash-capacity", "dash-fixity", "dash-activity-rates"):
            page.get_by_test_id(panel).get_by_test_id("state-retry").click()
            expect(page.get_by_test_id(panel).get_by_test_id("state-error")).to_have_count(0)
        expect(page.get_by_test_id("dash-capacity").locator("polyline")).not_to_have_count(0)


class TestFilePageActions:
    def test_check_integrity_now_finds_a_flipped_byte(self, english: Page, env, api_token,
                                                      system_token):
        page = english
        file_id = _upload(env, system_token, "permanent")["file_id"]
        _wait_indexed(env, api_token, file_id)
        damaged = _flip_a_byte(env, file_id)
        page.goto(f"/files/{file_id}")
        page.get_by_test_id("integrity-check").click()
        expect(page.get_by_test_id("integrity-summary")).to_contain_text(TEXT["en"]["problem"])
        bad = page.get_by_test_id(f"integrity-{damaged}")
        expect(bad.get_by_test_id("integrity-outcome")).to_have_text(TEXT["en"]["mismatch"])
        expect(bad).to_contain_text("quarantined")
        expect(bad.get_by_test_id("integrity-verified")).to_contain_text("verified")
        rows = page.get_by_test_id("integrity-result").locator("tr")
        expect(rows).to_have_count(2)
        healthy = rows.filter(has_not_text=damaged)
        expect(healthy.get_by_test_id("integrity-outcome")).to_have_text(TEXT["en"]["ok"])
        shot(page, "i16-dash-integrity-en-desktop")

    @pytest.mark.parametrize("size", ["desktop", "phone"])
    def test_check_integrity_of_a_good_file_in_russian(self, english: Page, env, api_token,
                                                       size):
        page = english
        file_id = _upload(env, api_token, "temporary")["file_id"]
        _wait_indexed(env, api_token, file_id)
        page.set_viewport_size(SIZES[size])
        page.goto(f"/files/{file_id}")
        _language(page, "ru")
        page.get_by_test_id("integrity-check").click()
        expect(page.get_by_test_id("integrity-summary")).to_contain_text(TEXT["ru"]["allOk"])
        expect(page.get_by_test_id("integrity-outcome")).to_have_text(TEXT["ru"]["ok"])
        expect(page.get_by_test_id("integrity-verified")).to_contain_text("проверена")
        _no_sideways_scroll(page)
        shot(page, f"i16-dash-integrity-ru-{size}")

    @pytest.mark.parametrize(("lang", "size"), [("en", "desktop"), ("ru", "phone")])
    def test_extend_a_temporary_files_expiry_and_its_retention(self, english: Page, env,
                                                               api_token, lang, size):
        page = english
        stored = _upload(env, api_token, "temporary")
        file_id = stored["file_id"]
        _wait_indexed(env, api_token, file_id)
        page.set_viewport_size(SIZES[size])
        page.goto(f"/files/{file_id}")
        _language(page, lang)

        page.get_by_test_id("file-extend").click()
        page.get_by_test_id("extend-kind-expiry").click()
        target = datetime.fromisoformat(stored["expires_at"]) + timedelta(days=10)
        page.get_by_test_id("extend-date").fill(target.strftime("%d.%m.%Y"))
        shot(page, f"i16-dash-extend-{lang}-{size}")
        page.get_by_test_id("extend-save").click()
        expect(page.locator("simple-snack-bar", has_text=TEXT[lang]["expires"])).to_be_visible()
        expect(page.locator(".cdk-overlay-pane mat-dialog-container")).to_have_count(0)

        def expiry_moved() -> bool:
            r = httpx.get(f"{env['QUERY_URL']}/api/v1/files/{file_id}", headers=_headers(api_token))
            return datetime.fromisoformat(r.json()["expires_at"]).date() == target.date()

        wait_for(expiry_moved, "the catalogue to show the later expiry")

        # An earlier date is refused by the service, shown in the dialog, and changes nothing.
        page.get_by_test_id("file-extend").click()
        page.get_by_test_id("extend-kind-expiry").click()
        page.get_by_test_id("extend-date").fill(
            (target - timedelta(days=5)).strftime("%d.%m.%Y"))
        page.get_by_test_id("extend-save").click()
        expect(page.get_by_test_id("extend-error")).to_be_visible()
        page.get_by_test_id("extend-cancel").click()
        assert expiry_moved()

        page.get_by_test_id("file-extend").click()
        page.get_by_test_id("extend-kind-retain").click()
        keep = datetime.now().astimezone() + timedelta(days=400)
        page.get_by_test_id("extend-date").fill(keep.strftime("%d.%m.%Y"))
        page.get_by_test_id("extend-save").click()
        expect(page.locator("simple-snack-bar", has_text=TEXT[lang]["kept"])).to_be_visible()
        wait_for(lambda: (httpx.get(f"{env['QUERY_URL']}/api/v1/files/{file_id}",
                                    headers=_headers(api_token)).json().get("retain_until")
                          or "").startswith(keep.strftime("%Y-%m-%d")),
                 "the catalogue to show retain_until")
        _no_sideways_scroll(page)
