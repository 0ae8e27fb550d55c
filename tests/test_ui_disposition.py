# ruff: noqa: F811  (fixtures imported from test_ui_admin are used by name)
"""The disposition page (issue 15) in Debian's headless Chromium against the real suite: one
records manager proposes due files for destruction and cannot approve them; a second one
approves, the batch runs, and the certificate is downloaded and its audit range verified.
Screenshots: .artstore/screenshots/i15-disposition-*.png.
"""

from __future__ import annotations

import json
import re
import uuid

import httpx
import pytest

pytest.importorskip("playwright", reason="playwright is a dev dependency (uv sync)")
from playwright.sync_api import Browser, Page, expect  # noqa: E402
from test_ui_admin import (  # noqa: E402,F401  (fixtures are found by name)
    DESKTOP,
    PHONE,
    _new_page,
    _no_sideways_scroll,
    admin_page,
    admin_session,
    api_token,
    browser,
    env,
    login,
    page,
    shot,
    ui_build,
    ui_url,
)
from test_ui_records import _admin, _person, _upload  # noqa: E402

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def due(env, api_token) -> dict:
    """Two files whose class ended with the fiscal year 2015: candidates for destruction."""
    n = uuid.uuid4().hex[:6]
    schedule = _admin(env, api_token, "POST", "/api/v1/retention-schedules", json={
        "name": f"Кассовые документы {n}", "period_days": 1, "trigger": "metadata_date",
        "date_field": "fiscal_year_end", "action": "destroy"})
    assert schedule.status_code == 201, schedule.text
    files = []
    for name in (f"касса-{n}-1.txt", f"касса-{n}-2.txt"):
        file_id = _upload(env, api_token, name,
                          metadata=json.dumps({"fiscal_year_end": "2015-12-31"}))
        r = _admin(env, api_token, "PUT", f"/api/v1/files/{file_id}/retention-class",
                   json={"schedule": schedule.json()["name"]})
        assert r.status_code == 200, r.text
        files.append(file_id)
    return {"files": files, "n": n}


def test_four_eyes_from_proposal_to_certificate(page: Page, browser: Browser, ui_url, env,
                                                 api_token, due):
    proposer = _person(env, api_token, "records_manager")
    login(page, *proposer)
    card = page.get_by_test_id("card-disposition-value")  # the dashboard counts what is due
    expect(card).not_to_have_text("…")
    assert int(card.inner_text().replace(",", "").strip()) >= len(due["files"])
    page.get_by_test_id("card-disposition").click()
    expect(page).to_have_url(re.compile(r"/disposition$"))
    for file_id in due["files"]:
        expect(page.get_by_test_id(f"candidate-{file_id}")).to_be_visible()
        page.get_by_test_id(f"candidate-pick-{file_id}").click()
    shot(page, "i15-disposition-candidates-en-desktop")
    page.get_by_test_id("disposition-propose").click()
    page.get_by_test_id("confirm-reason").fill("Срок хранения истёк, проверено")
    page.get_by_test_id("confirm-ok").click()
    expect(page.get_by_test_id("batch-status")).to_have_text("proposed")
    # The proposer is told a second person decides; no button that would fail is offered.
    expect(page.get_by_test_id("batch-four-eyes")).to_be_visible()
    expect(page.get_by_test_id("batch-approve")).to_have_count(0)
    batch_url = page.url
    shot(page, "i15-disposition-proposed-en-desktop")

    context, approver_page, violations = _new_page(browser, ui_url)
    try:
        login(approver_page, *_person(env, api_token, "records_manager"))
        approver_page.goto(batch_url)
        approver_page.get_by_test_id("batch-approve").click()
        approver_page.get_by_test_id("confirm-ok").click()
        expect(approver_page.get_by_test_id("batch-status")).to_have_text("executed",
                                                                           timeout=120_000)
        for file_id in due["files"]:
            expect(approver_page.get_by_test_id(f"batch-item-{file_id}")).to_contain_text(
                "destroyed")
        with approver_page.expect_download() as pdf:
            approver_page.get_by_test_id("certificate-pdf").click()
        assert pdf.value.suggested_filename.endswith(".pdf")
        with open(pdf.value.path(), "rb") as fh:
            assert fh.read(5) == b"%PDF-"
        with approver_page.expect_download() as cert:
            approver_page.get_by_test_id("certificate-json").click()
        with open(cert.value.path(), "rb") as fh:
            destroyed = {r["file_id"] for r in json.load(fh)["destroyed"]}
        assert destroyed == set(due["files"])
        approver_page.get_by_test_id("certificate-verify").click()
        expect(approver_page.get_by_test_id("certificate-verified")).to_contain_text("verify")
        shot(approver_page, "i15-disposition-executed-en-desktop")
    finally:
        context.close()
    assert not violations, f"console errors or CSP violations: {violations}"
    for file_id in due["files"]:  # gone from the catalogue's candidates, and from the SEs
        r = httpx.get(f"{env['QUERY_URL']}/api/v1/files/{file_id}",
                      headers={"Authorization": f"Bearer {api_token}"}, timeout=30)
        assert r.status_code == 404 or r.json()["status"] == "deleted", r.text


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_page_fits_a_phone_in_both_languages(admin_page: Page, lang):
    page = admin_page
    page.set_viewport_size(PHONE)
    page.get_by_test_id(f"lang-{lang}").click()
    try:
        page.goto("/disposition")
        expect(page.locator("h1")).to_have_text("Disposition" if lang == "en" else "Уничтожение")
        expect(page.get_by_test_id("disposition-batches")).to_be_visible()
        _no_sideways_scroll(page)
        shot(page, f"i15-disposition-{lang}-phone")
    finally:
        page.get_by_test_id("lang-en").click()
        page.set_viewport_size(DESKTOP)


def test_a_failed_candidate_list_says_so_and_retry_recovers(admin_page: Page):
    page = admin_page
    page.route(re.compile(r"/api/v1/disposition/candidates(\?.*)?$"), lambda r: r.fulfill(
        status=503, content_type="application/json",
        body=json.dumps({"error": {"code": "SERVICE_UNAVAILABLE",
                                   "message": "admin module is restarting"}})))
    page.goto("/disposition")
    panel = page.get_by_test_id("disposition-candidates")
    expect(panel.get_by_test_id("state-error")).to_contain_text(
        "Could not load the disposition candidates")
    expect(panel.get_by_test_id("state-error-message")).to_contain_text(
        "admin module is restarting")
    shot(page, "i15-disposition-503-en-desktop")
    page.unroute_all(behavior="ignoreErrors")
    panel.get_by_test_id("state-retry").click()
    expect(panel.get_by_test_id("state-error")).to_have_count(0)
