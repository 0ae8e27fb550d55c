# ruff: noqa: F811  (fixtures imported from test_ui_admin are used by name)
"""The admin UI for records management (issue 15), in Debian's headless Chromium against the
real suite: retention schedules, legal holds (create, place by id and by tag, release from one
file and as a whole), a file's "Retention & holds" section, and who sees what (records
manager, auditor, read-only administrator). Screenshots: .artstore/screenshots/i15-*.png.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

pytest.importorskip("playwright", reason="playwright is a dev dependency (uv sync)")
from e2e_support import wait_for  # noqa: E402
from playwright.sync_api import Page, expect  # noqa: E402
from test_ui_admin import (  # noqa: E402,F401  (fixtures are found by name)
    DESKTOP,
    PHONE,
    _no_sideways_scroll,
    _wait_indexed,
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

pytestmark = pytest.mark.e2e


def _h(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _upload(env, token: str, name: str, **data) -> str:
    r = httpx.post(env["INGESTER_URL"] + "/api/v1/files", headers=_h(token),
                   data={"retention_policy": "temporary", "ttl_days": "30", **data},
                   files={"file": (name, f"{name} {uuid.uuid4()}".encode(), "text/plain")},
                   timeout=120)
    assert r.status_code == 201, r.text
    file_id = r.json()["file_id"]
    _wait_indexed(env, token, file_id)
    return file_id


def _admin(env, token: str, method: str, path: str, **kw) -> httpx.Response:
    return httpx.request(method, env["ADMIN_URL"] + path, headers=_h(token), timeout=60, **kw)


def _catalog(env, token: str, file_id: str) -> dict:
    r = httpx.get(f"{env['QUERY_URL']}/api/v1/files/{file_id}", headers=_h(token), timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def _person(env, token: str, role: str) -> tuple[str, str]:
    """A real administrator account with this role (username, password)."""
    username = f"{role.replace('_', '')}{uuid.uuid4().hex[:6]}"
    password = f"Rm-{uuid.uuid4().hex}-x9"
    r = _admin(env, token, "POST", "/api/v1/admin-users",
               json={"username": username, "password": password, "role": role})
    assert r.status_code == 201, r.text
    return username, password


def settled(page: Page, first_field: str) -> None:
    """A dialog moves the focus to its first field once it has opened: typing before that
    (a loaded machine) would land in the wrong field."""
    expect(page.get_by_test_id(first_field)).to_be_focused()


@pytest.fixture(scope="module")
def records(env, api_token) -> dict[str, str]:
    """A schedule, an active hold with one file, and a file with nothing on it yet."""
    n = uuid.uuid4().hex[:6]
    schedule = _admin(env, api_token, "POST", "/api/v1/retention-schedules", json={
        "name": f"Бухгалтерия 5 лет {n}", "period_days": 1826, "trigger": "upload",
        "action": "destroy", "description": "Первичные документы"})
    assert schedule.status_code == 201, schedule.text
    hold = _admin(env, api_token, "POST", "/api/v1/legal-holds", json={
        "name": f"Дело А40-{n}", "reason": "Определение суда о сохранении документов"})
    assert hold.status_code == 201, hold.text
    held = _upload(env, api_token, f"улика-{n}.txt")
    placed = _admin(env, api_token, "POST", f"/api/v1/legal-holds/{hold.json()['id']}/files",
                    json={"file_ids": [held]})
    assert placed.json()["placed"] == [held], placed.text
    return {"schedule": schedule.json()["name"], "hold": hold.json()["id"],
            "hold_name": hold.json()["name"], "held": held,
            "plain": _upload(env, api_token, f"договор-{n}.txt")}


class TestHoldsAndSchedules:
    def test_a_records_manager_keeps_schedules_and_holds(self, page: Page, env, api_token):
        n = uuid.uuid4().hex[:6]
        tag = f"дело-{n}"
        by_id = _upload(env, api_token, f"письмо-{n}.txt")
        by_tag = _upload(env, api_token, f"акт-{n}.txt", tags=f'["{tag}"]')
        login(page, *_person(env, api_token, "records_manager"))
        nav = page.get_by_test_id("sidenav")
        expect(nav.get_by_test_id("nav-retention-schedules")).to_be_visible()
        expect(nav.get_by_test_id("nav-service-accounts")).to_have_count(0)
        expect(page.get_by_test_id("user-menu")).to_contain_text("records manager")

        # A schedule counted from a metadata date needs its field.
        nav.get_by_test_id("nav-retention-schedules").click()
        page.get_by_test_id("schedule-add").click()
        settled(page, "schedule-name")
        page.get_by_test_id("schedule-name").fill(f"Договоры {n}")
        page.get_by_test_id("schedule-period").fill("1095")
        page.get_by_test_id("schedule-trigger").click()
        page.get_by_role("option", name="a date in the metadata").click()
        expect(page.get_by_test_id("schedule-submit")).to_be_disabled()
        page.get_by_test_id("schedule-date-field").fill("contract_end")
        page.get_by_test_id("schedule-description").fill("3 года после окончания договора")
        shot(page, "i15-schedule-create-en-desktop")
        page.get_by_test_id("schedule-submit").click()
        expect(page.locator("simple-snack-bar")).to_contain_text(f"Schedule “Договоры {n}” created")
        row = page.get_by_test_id(f"schedule-row-Договоры {n}")
        expect(row).to_contain_text("1,095 days")
        expect(row).to_contain_text("contract_end")
        # The same name again: the server's refusal is shown in the dialog.
        page.get_by_test_id("schedule-add").click()
        settled(page, "schedule-name")
        page.get_by_test_id("schedule-name").fill(f"Договоры {n}")
        page.get_by_test_id("schedule-submit").click()
        expect(page.get_by_test_id("schedule-error")).to_contain_text(
            "A retention schedule with this name exists")
        page.keyboard.press("Escape")
        shot(page, "i15-schedules-en-desktop")

        # A hold: created, placed by id (one unknown id reported) and by tag.
        nav.get_by_test_id("nav-legal-holds").click()
        page.get_by_test_id("hold-add").click()
        settled(page, "hold-name")
        page.get_by_test_id("hold-name").fill(f"Проверка ФНС {n}")
        page.get_by_test_id("hold-reason").fill("Требование о представлении документов")
        page.get_by_test_id("hold-submit").click()
        row = page.get_by_test_id(f"hold-row-Проверка ФНС {n}")
        expect(row.get_by_test_id("hold-file-count")).to_have_text("0")
        row.get_by_role("link").click()
        expect(page.get_by_test_id("hold-title")).to_have_text(f"Проверка ФНС {n}")
        expect(page.get_by_test_id("hold-files")).to_contain_text("The hold is on no file yet")
        hold_id = page.url.rsplit("/", 1)[1]
        unknown = str(uuid.uuid4())
        page.get_by_test_id("hold-ids").fill(f"{by_id},\n{unknown} {by_id}")
        expect(page.get_by_test_id("hold-place")).to_contain_text("2 recognised")
        page.get_by_test_id("hold-place-submit").click()
        result = page.get_by_test_id("hold-place-result")
        expect(result).to_contain_text("Placed on 1 file(s)")
        expect(result).to_contain_text(f"Not found: {unknown}")
        page.get_by_test_id("hold-by-tag").click()
        page.get_by_test_id("hold-tag").fill(tag)
        page.get_by_test_id("hold-place-submit").click()
        expect(result).to_contain_text("Placed on 1 file(s)")
        expect(page.get_by_test_id("hold-count")).to_have_text("2")
        expect(page.get_by_test_id("hold-file")).to_have_count(2)
        wait_for(lambda: all(hold_id in _catalog(env, api_token, f)["legal_holds"]
                             for f in (by_id, by_tag)), "the holds in the catalogue")
        page.reload()  # the names come from the catalogue (search by hold)
        expect(page.get_by_test_id(f"hold-file-name-{by_id}")).to_have_text(
            _catalog(env, api_token, by_id)["original_filename"])
        shot(page, "i15-hold-en-desktop")

        # Released from one file (the reason is required), then as a whole.
        page.get_by_test_id(f"hold-file-release-{by_id}").click()
        expect(page.get_by_test_id("confirm-ok")).to_be_disabled()
        page.get_by_test_id("confirm-reason").fill("Документ не относится к проверке")
        page.get_by_test_id("confirm-ok").click()
        expect(page.get_by_test_id("hold-count")).to_have_text("1")
        wait_for(lambda: hold_id not in _catalog(env, api_token, by_id)["legal_holds"],
                 "the catalogue to drop the released file's hold")
        assert hold_id in _catalog(env, api_token, by_tag)["legal_holds"]
        page.get_by_test_id("hold-release").click()
        page.get_by_test_id("confirm-reason").fill("Проверка завершена")
        page.get_by_test_id("confirm-ok").click()
        expect(page.get_by_test_id("hold-released")).to_contain_text("Проверка завершена")
        expect(page.get_by_test_id("hold-place")).to_have_count(0)
        shot(page, "i15-hold-released-en-desktop")
        wait_for(lambda: hold_id not in _catalog(env, api_token, by_tag)["legal_holds"],
                 "the catalogue to drop the released hold")
        entries = _admin(env, api_token, "GET", "/api/v1/audit",
                         params={"resource_id": by_id, "action": "file.hold_released"})
        assert [e["details"]["reason"] for e in entries.json()["items"]] == [
            "Документ не относится к проверке"]
        page.get_by_test_id("hold-back").click()
        page.get_by_test_id("holds-status").click()
        page.get_by_role("option", name="released").click()
        expect(page.get_by_test_id(f"hold-row-Проверка ФНС {n}")).to_contain_text("released")

    def test_a_failed_list_says_so_and_retry_recovers(self, admin_page: Page, records):
        page = admin_page
        for path, text in (("legal-holds", "Could not load the legal holds"),
                           ("retention-schedules", "Could not load the retention schedules")):
            page.route(re.compile(rf"/api/v1/{path}(\?.*)?$"), lambda r: r.fulfill(
                status=503, content_type="application/json",
                body=json.dumps({"error": {"code": "SERVICE_UNAVAILABLE",
                                           "message": "admin module is restarting"}})))
            page.goto(f"/{path}")
            expect(page.get_by_test_id("state-error")).to_contain_text(text)
            expect(page.get_by_test_id("state-error-message")).to_contain_text(
                "admin module is restarting")
            shot(page, f"i15-{path}-503-en-desktop")
            page.unroute_all(behavior="ignoreErrors")
            page.get_by_test_id("state-retry").click()
            expect(page.get_by_test_id("state-error")).to_have_count(0)
            expect(page.locator("table.reflow")).to_be_visible()
        # On a file's page the section says which list it could not read.
        page.route(re.compile(r"/api/v1/legal-holds(\?.*)?$"), lambda r: r.fulfill(
            status=503, content_type="application/json",
            body=json.dumps({"error": {"code": "SERVICE_UNAVAILABLE",
                                       "message": "admin module is restarting"}})))
        page.goto(f"/files/{records['held']}")
        expect(page.get_by_test_id("file-records-error")).to_contain_text(
            "Could not load the legal holds")
        # the hold is still shown, by its id, from the file's own record
        expect(page.get_by_test_id(f"file-hold-{records['hold']}")).to_contain_text(
            records["hold"])


class TestFileRetention:
    def test_class_later_date_and_holds_on_the_file_page(self, admin_page: Page, env,
                                                          api_token, records):
        file_id = records["plain"]
        page = admin_page
        page.goto(f"/files/{file_id}")
        section = page.get_by_test_id("file-records")
        expect(section).to_contain_text("Retention & holds")
        expect(section.get_by_test_id("file-retain-until")).to_have_text("not set")
        expect(section.get_by_test_id("file-holds")).to_have_text("none")

        section.get_by_test_id("file-class-select").click()
        page.get_by_role("option", name=re.compile(re.escape(records["schedule"]))).click()
        section.get_by_test_id("file-class-apply").click()
        expect(section.get_by_test_id("file-retention-class")).to_have_text(records["schedule"])
        year = str((datetime.now(UTC) + timedelta(days=1826)).year)
        expect(section.get_by_test_id("file-retain-until")).to_contain_text(year)

        # Earlier than the class gave: the server refuses and the page says why.
        section.get_by_test_id("file-retain-input").fill("2027-01-31")
        section.get_by_test_id("file-retain-apply").click()
        expect(section.get_by_test_id("file-retain-error")).to_contain_text(
            "Retain until can only move later: the file is kept until")
        expect(section.get_by_test_id("file-retain-error")).to_contain_text(year)
        section.get_by_test_id("file-retain-input").fill("2045-06-30")
        section.get_by_test_id("file-retain-apply").click()
        expect(section.get_by_test_id("file-retain-until")).to_contain_text("2045")
        expect(section.get_by_test_id("file-retain-error")).to_have_count(0)

        section.get_by_test_id("file-hold-select").click()
        page.get_by_role("option", name=records["hold_name"]).click()
        section.get_by_test_id("file-hold-apply").click()
        expect(section.get_by_test_id(f"file-hold-{records['hold']}")).to_contain_text(
            records["hold_name"])
        wait_for(lambda: (lambda m: records["hold"] in m["legal_holds"]
                          and m["retain_until"].startswith("2045-06-30"))(
            _catalog(env, api_token, file_id)), "the catalogue to follow")
        page.reload()  # a held file offers no Delete, and says why
        expect(page.get_by_test_id("file-delete-blocked")).to_have_text(
            "Not deletable: the file is under a legal hold.")
        expect(page.get_by_test_id("file-delete")).to_have_count(0)
        history = page.get_by_test_id("file-history")
        expect(history).to_contain_text("Retain until moved later")
        expect(history).to_contain_text("Legal hold placed on the file")
        shot(page, "i15-file-records-en-desktop")

        section.get_by_test_id(f"file-hold-release-{records['hold']}").click()
        page.get_by_test_id("confirm-reason").fill("Ошибочно")
        page.get_by_test_id("confirm-ok").click()
        expect(section.get_by_test_id("file-holds")).to_have_text("none")
        wait_for(lambda: records["hold"] not in _catalog(env, api_token, file_id)["legal_holds"],
                 "the catalogue to drop the hold")
        # The hold itself stays active on its other file.
        hold = _admin(env, api_token, "GET", f"/api/v1/legal-holds/{records['hold']}").json()
        assert hold["status"] == "active" and hold["file_count"] == 1

    def test_an_auditor_reads_everything_and_changes_nothing(self, page: Page, env, api_token,
                                                             records):
        login(page, *_person(env, api_token, "auditor"))
        page.goto("/legal-holds")
        expect(page.get_by_test_id(f"hold-row-{records['hold_name']}")).to_be_visible()
        expect(page.get_by_test_id("hold-add")).to_have_count(0)
        page.goto(f"/legal-holds/{records['hold']}")
        expect(page.get_by_test_id("hold-file")).to_contain_text(records["held"])
        expect(page.get_by_test_id("hold-release")).to_have_count(0)
        expect(page.get_by_test_id("hold-place")).to_have_count(0)
        page.goto("/retention-schedules")
        expect(page.get_by_test_id(f"schedule-row-{records['schedule']}")).to_be_visible()
        expect(page.get_by_test_id("schedule-add")).to_have_count(0)
        page.goto(f"/files/{records['held']}")
        section = page.get_by_test_id("file-records")
        expect(section.get_by_test_id(f"file-hold-{records['hold']}")).to_contain_text(
            records["hold_name"])
        expect(section.locator("button")).to_have_count(0)
        expect(page.get_by_test_id("file-history")).to_be_visible()
        shot(page, "i15-file-records-auditor-en-desktop")

    def test_a_readonly_administrator_sees_no_records(self, page: Page, env, api_token,
                                                      records):
        login(page, *_person(env, api_token, "readonly"))
        expect(page.get_by_test_id("nav-legal-holds")).to_have_count(0)
        expect(page.get_by_test_id("nav-retention-schedules")).to_have_count(0)
        page.goto(f"/files/{records['held']}")
        expect(page.get_by_test_id("file-name")).to_be_visible()
        expect(page.get_by_test_id("file-records")).to_have_count(0)
        page.goto("/legal-holds")
        expect(page.get_by_test_id("holds-table")).to_have_count(0)


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_records_pages_fit_a_phone_in_both_languages(admin_page: Page, records, lang):
    page = admin_page
    page.set_viewport_size(PHONE)
    page.get_by_test_id(f"lang-{lang}").click()
    titles = {"en": ("Legal holds", "Retention schedules", "Retention & holds"),
              "ru": ("Юридические блокировки", "Сроки хранения", "Хранение и блокировки")}[lang]
    try:
        page.goto("/legal-holds")
        expect(page.locator("h1")).to_have_text(titles[0])
        expect(page.get_by_test_id(f"hold-row-{records['hold_name']}")).to_be_visible()
        _no_sideways_scroll(page)
        shot(page, f"i15-holds-{lang}-phone")
        page.goto(f"/legal-holds/{records['hold']}")
        expect(page.get_by_test_id("hold-file").first).to_be_visible()
        _no_sideways_scroll(page)
        shot(page, f"i15-hold-{lang}-phone")
        page.goto("/retention-schedules")
        expect(page.locator("h1")).to_have_text(titles[1])
        expect(page.get_by_test_id(f"schedule-row-{records['schedule']}")).to_be_visible()
        _no_sideways_scroll(page)
        shot(page, f"i15-schedules-{lang}-phone")
        page.goto(f"/files/{records['held']}")
        expect(page.get_by_test_id("file-records")).to_contain_text(titles[2])
        _no_sideways_scroll(page)
        shot(page, f"i15-file-records-{lang}-phone")
        page.get_by_test_id(f"file-hold-release-{records['hold']}").click()
        dialog = page.locator("mat-dialog-container")
        expect(dialog).to_contain_text("Release the hold from this file?" if lang == "en"
                                       else "Снять блокировку с этого файла?")
        assert dialog.bounding_box()["width"] <= PHONE["width"]
        shot(page, f"i15-hold-release-{lang}-phone")
        page.get_by_test_id("confirm-cancel").click()
    finally:
        page.get_by_test_id("lang-en").click()
        page.set_viewport_size(DESKTOP)


def test_the_audit_page_checks_from_the_newest_checkpoint(admin_page: Page):
    """Opening the audit log walks only what follows the newest checkpoint (fast on a long
    chain); the whole chain is one click away."""
    page = admin_page
    page.goto("/audit")
    panel = page.get_by_test_id("audit-verify")
    expect(panel).to_contain_text("Chain intact")
    page.reload()  # the walk just made left a checkpoint at the head
    expect(panel.get_by_test_id("audit-verify-since")).to_have_text(
        re.compile(r"after the checkpoint at #\d+"))
    page.get_by_test_id("audit-verify-full").click()
    expect(panel.get_by_test_id("audit-verify-since")).to_have_count(0)
    expect(panel).to_contain_text("Chain intact")
    shot(page, "i15-audit-verify-en-desktop")
