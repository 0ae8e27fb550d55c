"""The admin UI end to end: the built Angular app served by admin-ui/serve.mjs in front of the
real suite (admin, two SEs, ingester, query as processes), driven in Debian's headless Chromium.

Screenshots land in .artstore/screenshots/. Set ARTSTORE_UI_RUN_ENV=<path to run.env> to point
the tests at a suite that is already running instead of starting one.
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import re
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

pytest.importorskip("playwright", reason="playwright is a dev dependency (uv sync)")
from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

from artstore_common.testing import ServiceProcess  # noqa: E402

pytestmark = pytest.mark.e2e
# Five engineers' tests share two cores: give assertions room before they call a state missing.
expect.set_options(timeout=15_000)

REPO = Path(__file__).resolve().parent.parent
UI_DIR = REPO / "admin-ui"
DIST_INDEX = UI_DIR / "dist" / "admin-ui" / "browser" / "index.html"
SHOTS = REPO / ".artstore" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium")
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
TABLET = {"width": 820, "height": 1180}
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


# --- fixtures --------------------------------------------------------------------------------


def _read_env(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {k.strip(): v.strip() for k, v in pairs}


@pytest.fixture(scope="module")
def env(request) -> dict[str, str]:
    external = os.environ.get("ARTSTORE_UI_RUN_ENV")
    if external:
        return _read_env(Path(external))
    return request.getfixturevalue("suite_env")


def _dist_is_stale() -> bool:
    if not DIST_INDEX.exists():
        return True
    built = DIST_INDEX.stat().st_mtime
    sources = [*(UI_DIR / "src").rglob("*"), UI_DIR / "package-lock.json", UI_DIR / "angular.json"]
    return any(p.is_file() and p.stat().st_mtime > built for p in sources)


@pytest.fixture(scope="module")
def ui_build() -> Path:
    """The production build; built here when missing or older than its sources."""
    if _dist_is_stale():
        if not (UI_DIR / "node_modules").exists():
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                           cwd=UI_DIR, check=True)
        subprocess.run(["npx", "ng", "build", "--configuration", "production"], cwd=UI_DIR,
                       check=True, stdout=subprocess.DEVNULL)
    return DIST_INDEX.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def ui_url(env, ui_build, tmp_path_factory) -> Iterator[str]:
    """Our own serve.mjs in front of the suite (so a fresh build is always what is tested)."""
    port = _free_port()
    log = tmp_path_factory.mktemp("ui") / "serve.log"
    proc_env = {**os.environ, "PORT": str(port), "ADMIN_URL": env["ADMIN_URL"],
                "INGESTER_URL": env["INGESTER_URL"], "QUERY_URL": env["QUERY_URL"]}
    with open(log, "wb") as out:
        proc = subprocess.Popen(["node", "serve.mjs"], cwd=UI_DIR, env=proc_env, stdout=out,
                                stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            if proc.poll() is not None:
                pytest.fail(f"serve.mjs exited: {log.read_text()}")
            try:
                if httpx.get(url + "/", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def browser(ui_url) -> Iterator[Browser]:
    # Depends on ui_url so the suite is up first: sync Playwright keeps an asyncio loop
    # running on this thread, and the suite's startup uses asyncio.run().
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium fonts-noto")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _new_page(browser: Browser, ui_url: str):
    context = browser.new_context(base_url=ui_url, locale="en-GB",
                                  viewport={"width": 1440, "height": 900},
                                  accept_downloads=True)
    context.set_default_timeout(15_000)
    pg = context.new_page()
    # serve.mjs sends nginx's CSP: anything it blocks would break the app behind nginx too.
    # Any console error or uncaught exception fails the test too, except the browser's own
    # line for an HTTP error answer (tests provoke 401/404/503 on purpose).
    violations: list[str] = []

    def on_console(m) -> None:
        if "Content Security Policy" in m.text:
            violations.append(m.text)
        elif m.type == "error" and not m.text.startswith("Failed to load resource"):
            violations.append(f"console error: {m.text}")

    pg.on("console", on_console)
    pg.on("pageerror", lambda e: violations.append(f"page error: {e}"))
    return context, pg, violations


@pytest.fixture
def page(browser: Browser, ui_url: str) -> Iterator[Page]:
    context, pg, violations = _new_page(browser, ui_url)
    yield pg
    context.close()
    assert not violations, f"console errors or CSP violations: {violations}"


def shot(page: Page, name: str) -> None:
    """The whole page: the app scrolls inside its content pane, so the window is grown to
    the content's height for the picture and put back afterwards (not for dialogs, which
    scroll on their own and would be moved by the resize)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_load_state("networkidle")
    size = page.viewport_size
    extra = page.evaluate("""() => {
        if (document.querySelector('.cdk-overlay-pane')) return 0;
        const c = document.querySelector('mat-sidenav-content');
        return c ? c.scrollHeight - c.clientHeight : 0; }""")
    if size and extra > 0:
        page.set_viewport_size({"width": size["width"], "height": size["height"] + extra})
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    if size and extra > 0:
        page.set_viewport_size(size)


def login(page: Page, username: str, password: str) -> None:
    page.goto("/login")
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))


@pytest.fixture(scope="module")
def admin_session(browser: Browser, ui_url: str, env) -> Iterator[Page]:
    """One signed-in tab for the module: logins are rate limited (20 a minute), and the
    session lives in this tab's sessionStorage, so every test reuses it."""
    context, pg, violations = _new_page(browser, ui_url)
    context.violations = violations  # type: ignore[attr-defined]
    login(pg, env["ARTSTORE_ADMIN_USER"], env["ARTSTORE_ADMIN_PASSWORD"])
    yield pg
    context.close()
    assert not violations, f"console errors or CSP violations: {violations}"


@pytest.fixture
def admin_page(admin_session: Page) -> Iterator[Page]:
    admin_session.goto("/dashboard")
    expect(admin_session.locator(".cdk-overlay-pane")).to_have_count(0)
    violations: list[str] = admin_session.context.violations  # type: ignore[attr-defined]
    before = len(violations)
    yield admin_session
    new = violations[before:]
    admin_session.unroute_all(behavior="ignoreErrors")
    admin_session.set_viewport_size(DESKTOP)
    assert not new, f"console errors or CSP violations: {new}"


@pytest.fixture(scope="module")
def api_token(env) -> str:
    r = httpx.post(env["ADMIN_URL"] + "/api/v1/admin-auth/login",
                   json={"username": env["ARTSTORE_ADMIN_USER"],
                         "password": env["ARTSTORE_ADMIN_PASSWORD"]})
    r.raise_for_status()
    return r.json()["access_token"]


# --- tests -----------------------------------------------------------------------------------


class TestLogin:
    def test_unauthenticated_visit_redirects_to_login(self, page: Page):
        page.goto("/storage-elements")
        expect(page).to_have_url(re.compile(r"/login\?returnUrl=%2Fstorage-elements$"))
        expect(page.get_by_test_id("login-submit")).to_be_visible()
        shot(page, "01-login")

    def test_wrong_password_shows_error_and_stays_on_login(self, page: Page, env):
        page.goto("/login")
        page.get_by_test_id("login-username").fill(env["ARTSTORE_ADMIN_USER"] + "-nobody")
        page.get_by_test_id("login-password").fill("wrong-password")
        page.get_by_test_id("login-submit").click()
        expect(page.get_by_test_id("login-error")).to_have_text("Wrong username or password")
        expect(page).to_have_url(re.compile(r"/login"))

    def test_super_admin_logs_in_and_sees_dashboard(self, admin_page: Page, env, api_token):
        page = admin_page
        expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
        # The global stylesheet is applied (not left at media=print by a blocked handler).
        expect(page.locator("h1.page-title")).to_have_css("font-weight", "600")
        ses = httpx.get(env["ADMIN_URL"] + "/api/v1/storage-elements",
                        headers={"Authorization": f"Bearer {api_token}"}).json()
        online = sum(1 for se in ses["items"] if se["status"] == "online")
        expect(page.get_by_test_id("card-health")).to_contain_text(f"{online} / {ses['total']}")
        # Actions by name, not code.
        expect(page.get_by_test_id("recent-activity")).to_contain_text("Administrator sign-in")
        expect(page.get_by_test_id("recent-activity")).not_to_contain_text("admin_auth.login")
        expect(page.get_by_test_id("user-menu")).to_contain_text(env["ARTSTORE_ADMIN_USER"])
        expect(page.get_by_test_id("trend-chart")).to_be_visible()
        expect(page.get_by_test_id("keys-panel")).to_contain_text("Active key")
        shot(page, "02-dashboard")

    def test_logout_returns_to_login_and_guards_pages(self, page: Page, env):
        login(page, env["ARTSTORE_ADMIN_USER"], env["ARTSTORE_ADMIN_PASSWORD"])
        page.get_by_test_id("user-menu").click()
        page.get_by_test_id("logout").click()
        expect(page).to_have_url(re.compile(r"/login"))
        page.goto("/dashboard")
        expect(page).to_have_url(re.compile(r"/login"))


class TestStorageElements:
    def test_list_shows_registered_elements_with_mode_and_usage(self, admin_page: Page):
        page = admin_page
        page.get_by_test_id("nav-storage-elements").click()
        edit_row = page.get_by_test_id("se-row-se-edit-1")
        rw_row = page.get_by_test_id("se-row-se-rw-1")
        expect(edit_row).to_contain_text("edit")
        # Health as the registry last saw it (a fault test earlier in the session may have
        # restarted an SE, and the health poll runs once a minute).
        expect(edit_row).to_contain_text(re.compile(r"online|degraded|offline"))
        expect(rw_row).to_contain_text("read-write")
        expect(rw_row.get_by_role("progressbar")).to_be_visible()
        # rw → ro is offered (one-way), edit never changes.
        expect(page.get_by_test_id("se-mode-se-rw-1")).to_have_text("Switch to read-only")
        expect(page.get_by_test_id("se-mode-se-edit-1")).to_have_count(0)
        shot(page, "03-storage-elements")

    def test_details_show_the_registry_record_and_sync_refreshes_it(self, admin_page: Page, env):
        page = admin_page
        page.goto("/storage-elements")
        page.get_by_role("link", name="se-edit-1").click()
        expect(page.get_by_role("heading", name=re.compile("se-edit-1"))).to_be_visible()
        expect(page.locator("dl.kv")).to_contain_text(env["SE_URLS"].split(",")[0])
        page.get_by_role("button", name="Sync").click()
        expect(page.locator("simple-snack-bar")).to_contain_text("se-edit-1 synchronized")
        shot(page, "18-se-details")

    def test_mode_change_dialog_requires_a_reason_and_cancel_changes_nothing(
        self, admin_page: Page
    ):
        page = admin_page
        page.goto("/storage-elements")
        page.get_by_test_id("se-mode-se-rw-1").click()
        expect(page.get_by_test_id("confirm-ok")).to_be_disabled()
        page.get_by_test_id("confirm-reason").fill("e2e check")
        expect(page.get_by_test_id("confirm-ok")).to_be_enabled()
        shot(page, "04-mode-confirm")
        page.get_by_test_id("confirm-cancel").click()
        expect(page.get_by_test_id("se-row-se-rw-1")).to_contain_text("read-write")


class TestStorageElementWizard:
    def test_discover_previews_the_element_and_flags_a_registered_one(
        self, admin_page: Page, env
    ):
        page = admin_page
        rw_url = env["SE_URLS"].split(",")[1]
        page.goto("/storage-elements")
        page.get_by_test_id("se-add").click()
        page.get_by_test_id("se-api-url").fill(rw_url)
        page.get_by_test_id("se-discover").click()
        expect(page.get_by_test_id("se-preview")).to_contain_text("se-rw-1")
        expect(page.get_by_test_id("se-already")).to_be_visible()
        shot(page, "14-se-wizard")

    def test_discover_of_an_unreachable_address_shows_the_error(self, admin_page: Page):
        page = admin_page
        page.goto("/storage-elements")
        page.get_by_test_id("se-add").click()
        page.get_by_test_id("se-api-url").fill(f"http://127.0.0.1:{_free_port()}")
        page.get_by_test_id("se-discover").click()
        expect(page.locator("app-se-wizard .error-text")).to_be_visible()
        expect(page.get_by_test_id("se-preview")).to_have_count(0)


@pytest.fixture
def spare_se(env, api_token, tmp_path) -> Iterator[ServiceProcess]:
    """A third, empty rw storage element (last in placement order) that a test may register,
    switch to read-only and delete without disturbing the suite's own SEs."""
    import asyncpg

    name = f"se-ui-{uuid.uuid4().hex[:6]}"
    db = "artstore_" + name.replace("-", "_")

    async def create_db() -> None:
        conn = await asyncpg.connect(env["PG_DSN"])
        try:
            await conn.execute(f'CREATE DATABASE "{db}"')
        finally:
            await conn.close()

    # A worker thread: sync Playwright keeps an event loop running on this one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, create_db()).result()
    dsn = env["PG_DSN"].replace("postgresql://", "postgresql+asyncpg://").rsplit("/", 1)[0]
    admin_url = env["ADMIN_URL"]
    se = ServiceProcess("storage_element.main:create_app", {
        "ENVIRONMENT": "development", "SERVICE_NAME": name, "SE_NAME": name, "SE_MODE": "rw",
        "SE_BACKEND": "local", "SE_DATA_DIR": str(tmp_path / "data"), "SE_PRIORITY": "100000",
        "SE_CAPACITY_BYTES": str(1 << 30), "DATABASE_URL": f"{dsn}/{db}",
        "JWKS_URL": admin_url + "/api/v1/auth/jwks", "REDIS_URL": env["REDIS_URL"],
    }, name=name, log_path=str(tmp_path / "se.log"))
    se.start()
    info = httpx.get(se.url + "/api/v1/info",
                     headers={"Authorization": f"Bearer {api_token}"})
    se_id = info.json()["id"]
    try:
        yield se
    finally:
        # Leave the registry as it was even when the test failed half-way.
        httpx.delete(f"{admin_url}/api/v1/storage-elements/{se_id}",
                     headers={"Authorization": f"Bearer {api_token}"})
        se.stop()


class TestStorageElementLifecycle:
    def test_register_switch_to_read_only_and_delete_through_the_ui(
        self, spare_se: ServiceProcess, admin_page: Page
    ):
        page = admin_page
        name = spare_se.name
        page.goto("/storage-elements")
        page.get_by_test_id("se-add").click()
        page.get_by_test_id("se-api-url").fill(spare_se.url)
        page.get_by_test_id("se-discover").click()
        expect(page.get_by_test_id("se-preview")).to_contain_text(name)
        expect(page.get_by_test_id("se-already")).to_have_count(0)
        page.get_by_label("Retention period, days").fill("400")
        page.get_by_test_id("se-register").click()
        row = page.get_by_test_id(f"se-row-{name}")
        expect(row).to_contain_text("read-write")
        # The retention countdown runs from registration.
        expect(row.locator("app-retention")).to_contain_text(re.compile(r"39[89] days left"))
        expect(row.locator("app-retention")).to_contain_text("period 400 days")

        mode_cell = page.get_by_test_id(f"se-modecell-{name}")
        expect(mode_cell).to_have_text("read-write")
        page.get_by_test_id(f"se-mode-{name}").click()
        page.get_by_test_id("confirm-reason").fill("retention group closed (e2e)")
        page.get_by_test_id("confirm-ok").click()
        # The saga drains, waits for in-flight uploads, switches the SE and republishes.
        for _ in range(120):
            page.get_by_role("button", name="Refresh").click()
            page.wait_for_load_state("networkidle")
            if mode_cell.inner_text().strip() == "read-only":
                break
            time.sleep(0.5)
        expect(mode_cell).to_have_text("read-only")
        expect(page.get_by_test_id(f"se-mode-{name}")).to_have_text("Switch to archive")
        shot(page, "17-se-read-only")

        page.get_by_test_id("nav-sagas").click()
        saga = page.locator("mat-expansion-panel", has_text="Mode transition").first
        expect(saga).to_contain_text("completed")

        page.goto("/storage-elements")
        page.get_by_role("link", name=name).click()
        page.get_by_role("button", name="Delete").click()
        page.get_by_test_id("confirm-ok").click()
        expect(page).to_have_url(re.compile(r"/storage-elements$"))
        expect(page.get_by_test_id(f"se-row-{name}")).to_have_count(0)


class TestServiceAccounts:
    def test_create_shows_one_time_secret_that_really_works(self, admin_page: Page, env):
        page = admin_page
        name = f"ui-e2e-{uuid.uuid4().hex[:8]}"
        page.get_by_test_id("nav-service-accounts").click()
        page.get_by_test_id("sa-add").click()
        page.get_by_test_id("sa-name").fill(name)
        page.get_by_test_id("sa-create-submit").click()
        secret = page.get_by_test_id("sa-secret")
        expect(secret).to_have_text(re.compile(r"^\S{32,}$"))
        client_id = page.get_by_test_id("sa-client-id").inner_text().strip()
        secret_text = secret.inner_text().strip()
        shot(page, "05-service-account-secret")
        page.get_by_test_id("sa-copy").click()
        expect(page.get_by_test_id("sa-copy")).to_have_text("Copied")

        token = httpx.post(env["ADMIN_URL"] + "/api/v1/auth/token",
                           data={"grant_type": "client_credentials", "client_id": client_id,
                                 "client_secret": secret_text})
        assert token.status_code == 200, token.text

        page.get_by_test_id("sa-secret-close").click()
        row = page.get_by_test_id(f"sa-row-{client_id}")
        expect(row).to_contain_text(name)
        expect(row).not_to_contain_text(secret_text)


    def test_rotate_then_suspend_from_the_actions_menu(self, admin_page: Page, env, api_token):
        token = api_token
        created = httpx.post(env["ADMIN_URL"] + "/api/v1/service-accounts",
                             headers={"Authorization": f"Bearer {token}"},
                             json={"name": "rotate-me", "role": "READONLY"})
        assert created.status_code == 201, created.text
        client_id, old_secret = created.json()["client_id"], created.json()["client_secret"]

        def token_status(secret: str) -> int:
            return httpx.post(env["ADMIN_URL"] + "/api/v1/auth/token",
                              data={"grant_type": "client_credentials", "client_id": client_id,
                                    "client_secret": secret}).status_code

        page = admin_page
        page.goto("/service-accounts")
        page.get_by_test_id("sa-search").fill(client_id)
        page.get_by_test_id("sa-search").press("Enter")
        expect(page.locator("tr.mat-mdc-row")).to_have_count(1)  # the search has answered
        page.get_by_test_id(f"sa-actions-{client_id}").click()
        page.get_by_role("menuitem", name="Rotate secret").click()
        page.get_by_test_id("confirm-ok").click()
        new_secret = page.get_by_test_id("sa-secret")
        expect(new_secret).to_have_text(re.compile(r"^\S{32,}$"))
        new_secret_text = new_secret.inner_text().strip()
        assert new_secret_text != old_secret
        page.get_by_test_id("sa-secret-close").click()
        assert token_status(old_secret) == 401
        assert token_status(new_secret_text) == 200

        page.get_by_test_id(f"sa-actions-{client_id}").click()
        page.get_by_role("menuitem", name="Suspend").click()
        page.get_by_test_id("confirm-ok").click()
        expect(page.get_by_test_id(f"sa-row-{client_id}")).to_contain_text("suspended")
        assert token_status(new_secret_text) != 200
        shot(page, "16-service-account-suspended")


class TestFiles:
    def test_upload_russian_named_file_then_find_and_download_it(
        self, admin_page: Page, tmp_path: Path
    ):
        page = admin_page
        marker = uuid.uuid4().hex[:8]
        name = f"Договор поставки №{marker}.txt"
        body = f"Счёт-фактура {marker}\n".encode() * 200
        src = tmp_path / name
        src.write_bytes(body)

        page.get_by_test_id("nav-files").click()
        page.get_by_test_id("files-upload").click()
        page.get_by_test_id("upload-input").set_input_files(str(src))
        page.get_by_test_id("upload-description").fill(f"Поставка оборудования {marker}")
        page.get_by_test_id("upload-submit").click()
        expect(page.get_by_test_id("upload-done")).to_contain_text(name)
        expect(page.get_by_test_id("upload-progress")).to_have_attribute("aria-valuenow", "100")
        shot(page, "06-upload-done")
        page.keyboard.press("Escape")

        # The catalogue is fed by events, so the file shows up shortly after the upload.
        page.get_by_test_id("files-query").fill(f"поставка {marker}")
        link = page.get_by_role("link", name=re.compile(f"Договор поставки №{marker}"))
        for _ in range(120):
            page.get_by_test_id("files-search").click()
            page.wait_for_load_state("networkidle")
            if link.count():
                break
            time.sleep(0.5)
        expect(link).to_be_visible()
        # Highlighted runs render as the exact name: no stray spaces, entities decoded.
        expect(link).to_have_text(name)
        expect(link.locator("mark").first).to_be_visible()
        expect(page.get_by_test_id("files-total")).to_have_text("Found: 1")
        expect(page.get_by_test_id("facet-retention_policy")).to_contain_text("Temporary")
        shot(page, "07-files-search")

        link.click()
        expect(page.get_by_test_id("file-name")).to_have_text(name)
        with page.expect_download() as info:
            page.get_by_test_id("file-download").click()
        download = info.value
        assert download.suggested_filename == name
        saved = tmp_path / "downloaded.bin"
        download.save_as(saved)
        assert saved.read_bytes() == body
        shot(page, "08-file-details")


    def test_finalize_starts_a_saga_shown_on_the_sagas_page(
        self, admin_page: Page, env, api_token
    ):
        token = api_token
        uploaded = httpx.post(
            env["INGESTER_URL"] + "/api/v1/files",
            headers={"Authorization": f"Bearer {token}"},
            data={"retention_policy": "temporary", "description": "черновик для финализации"},
            files={"file": ("черновик.txt", "проект договора".encode(), "text/plain")},
        )
        assert uploaded.status_code == 201, uploaded.text
        file_id = uploaded.json()["file_id"]
        page = admin_page
        for _ in range(120):  # the catalogue catches up with the upload event
            if httpx.get(f"{env['QUERY_URL']}/api/v1/files/{file_id}",
                         headers={"Authorization": f"Bearer {token}"}).status_code == 200:
                break
            time.sleep(0.5)
        page.goto(f"/files/{file_id}")
        page.get_by_test_id("file-finalize").click()
        page.get_by_test_id("confirm-ok").click()
        expect(page.locator("simple-snack-bar")).to_contain_text("Finalization started")

        # The file page follows the saga and links to it.
        expect(page.get_by_test_id("finalize-banner")).to_be_visible()
        expect(page.get_by_test_id("file-finalized")).not_to_have_text("—")
        # The snackbar's "Open saga" leads to that saga, opened.
        page.locator("simple-snack-bar").get_by_role("button", name="Open saga").click()
        expect(page).to_have_url(re.compile(r"/sagas\?id=[0-9a-f-]{36}$"))
        saga = page.locator("mat-expansion-panel", has=page.locator(f"a[href='/files/{file_id}']"))
        expect(saga).to_contain_text("Finalize")
        expect(saga).to_contain_text("черновик.txt")  # the file's name, not its id
        steps = saga.get_by_test_id("saga-steps")
        # a name, not "copy" (the page polls a running saga every 5 s)
        expect(steps).to_contain_text("Copy to a read-write element", timeout=30_000)
        texts = [t.split("\n")[0] for t in steps.locator("li").all_inner_texts()]
        assert len(texts) == len(set(texts)), f"a step is listed twice: {texts}"
        shot(page, "15-sagas-finalize")
        # Once the catalogue has the finalize event, the file page shows the date.
        page.goto(f"/files/{file_id}")
        expect(page.get_by_test_id("file-finalized")).to_contain_text(re.compile(r"\d{4}"),
                                                                      timeout=90_000)
        # The file's own audit trail, by name.
        expect(page.get_by_test_id("file-history")).to_contain_text(
            "File finalization requested")


class TestAudit:
    def test_audit_log_shows_intact_chain_and_exports_filtered_rows(
        self, admin_page: Page, tmp_path
    ):
        page = admin_page
        page.get_by_test_id("nav-audit").click()
        expect(page.get_by_test_id("audit-verify")).to_contain_text("Chain intact")
        expect(page.get_by_test_id("audit-table")).to_contain_text("Administrator sign-in")
        shot(page, "09-audit")
        page.get_by_label("Action").fill("admin_auth.login")
        page.keyboard.press("Escape")
        page.get_by_role("button", name="Search").click()
        expect(page.get_by_test_id("audit-table")).not_to_contain_text("Service account created")

        with page.expect_download() as info:
            page.get_by_test_id("audit-export-csv").click()
        assert info.value.suggested_filename.endswith(".csv")
        info.value.save_as(tmp_path / "audit.csv")
        rows = list(csv.DictReader((tmp_path / "audit.csv").open(encoding="utf-8")))
        assert rows and {r["action"] for r in rows} == {"admin_auth.login"}
        assert all(len(r["mac"]) == 64 for r in rows)

        with page.expect_download() as info:
            page.get_by_test_id("audit-export-jsonl").click()
        info.value.save_as(tmp_path / "audit.jsonl")
        lines = [json.loads(x) for x in (tmp_path / "audit.jsonl").read_text().splitlines()]
        assert [x["seq"] for x in lines] == [int(r["seq"]) for r in rows]


class TestAdminUsers:
    def test_admin_creates_an_administrator_in_the_ui(self, admin_page: Page):
        page = admin_page
        username = f"ops{uuid.uuid4().hex[:6]}"
        page.get_by_test_id("nav-admin-users").click()
        page.get_by_test_id("user-add").click()
        dialog = page.locator("app-admin-user-dialog")
        dialog.get_by_label("Username").fill(username)
        dialog.get_by_label("Password").fill(f"Op-{uuid.uuid4().hex}-7")
        dialog.get_by_role("button", name="Create").click()
        expect(dialog).to_have_count(0)
        expect(page.get_by_role("row", name=re.compile(username))).to_contain_text("read-only")
        page.get_by_label("Search").fill(username)
        page.get_by_label("Search").press("Enter")
        expect(page.locator("tr.mat-mdc-row")).to_have_count(1)
        shot(page, "10-admin-users")


class TestLanguage:
    def test_switch_to_russian_relabels_everything_and_persists(self, admin_page: Page):
        page = admin_page
        page.get_by_test_id("lang-ru").click()
        expect(page.get_by_role("heading", name="Обзор")).to_be_visible()
        expect(page.get_by_test_id("nav-storage-elements")).to_have_text("Элементы хранения")
        expect(page.get_by_test_id("nav-service-accounts")).to_have_text("Сервисные аккаунты")
        assert page.evaluate("document.documentElement.lang") == "ru"
        shot(page, "11-dashboard-ru")
        page.get_by_test_id("nav-storage-elements").click()
        expect(page.get_by_test_id("se-mode-se-rw-1")).to_have_text("Перевести в «только чтение»")
        shot(page, "12-storage-elements-ru")
        page.reload()
        expect(page.get_by_test_id("nav-files")).to_have_text("Файлы")
        for nav, heading, name in (("files", "Файлы", "19-files-ru"),
                                   ("service-accounts", "Сервисные аккаунты", "20-accounts-ru"),
                                   ("audit", "Журнал аудита", "21-audit-ru"),
                                   ("sagas", "Саги", "22-sagas-ru")):
            page.get_by_test_id(f"nav-{nav}").click()
            expect(page.get_by_role("heading", name=heading)).to_be_visible()
            shot(page, name)
        page.get_by_test_id("lang-en").click()
        expect(page.get_by_test_id("nav-files")).to_have_text("Files")


class TestRoles:
    def test_readonly_admin_sees_no_write_actions(self, page: Page, env, api_token):
        token = api_token
        username = f"viewer{uuid.uuid4().hex[:6]}"
        password = f"Rd-{uuid.uuid4().hex}-x9"
        created = httpx.post(env["ADMIN_URL"] + "/api/v1/admin-users",
                             headers={"Authorization": f"Bearer {token}"},
                             json={"username": username, "password": password,
                                   "role": "readonly"})
        assert created.status_code == 201, created.text
        uploaded = httpx.post(env["INGESTER_URL"] + "/api/v1/files",  # a files table to look at
                              headers={"Authorization": f"Bearer {token}"},
                              files={"file": ("viewer.txt", b"for the read-only view")},
                              data={"retention_policy": "temporary"}, timeout=60)
        assert uploaded.status_code == 201, uploaded.text

        login(page, username, password)
        expect(page.get_by_test_id("user-menu")).to_contain_text("read-only")
        # readonly has no audit:read, so the audit page is not offered.
        expect(page.get_by_test_id("nav-audit")).to_have_count(0)
        page.get_by_test_id("nav-storage-elements").click()
        expect(page.get_by_test_id("se-row-se-rw-1")).to_be_visible()
        expect(page.get_by_test_id("se-add")).to_have_count(0)
        expect(page.get_by_test_id("se-mode-se-rw-1")).to_have_count(0)
        page.get_by_test_id("nav-service-accounts").click()
        expect(page.get_by_test_id("sa-table")).to_be_visible()
        expect(page.get_by_test_id("sa-add")).to_have_count(0)
        page.get_by_test_id("nav-files").click()
        expect(page.get_by_test_id("files-table")).to_be_visible()
        expect(page.get_by_test_id("files-upload")).to_have_count(0)
        shot(page, "13-readonly-files")



# --- issue 16: daily document work -----------------------------------------------------------


def _upload(env, token: str, name: str, body: bytes, **data) -> str:
    r = httpx.post(env["INGESTER_URL"] + "/api/v1/files",
                   headers={"Authorization": f"Bearer {token}"},
                   data={"retention_policy": "temporary", **data},
                   files={"file": (name, body, "text/plain")})
    assert r.status_code == 201, r.text
    return r.json()["file_id"]


def _wait_indexed(env, token: str, file_id: str) -> None:
    for _ in range(120):  # the catalogue is fed by events
        if httpx.get(f"{env['QUERY_URL']}/api/v1/files/{file_id}",
                     headers={"Authorization": f"Bearer {token}"}).status_code == 200:
            return
        time.sleep(0.5)
    pytest.fail(f"{file_id} never reached the catalogue")


def _api_failure(page: Page, pattern, kind: str) -> None:
    """Make calls matching `pattern` fail: "503" answers with the SPEC error shape, "down"
    aborts them as a dropped network would."""
    if kind == "503":
        page.route(pattern, lambda r: r.fulfill(
            status=503, content_type="application/json",
            body=json.dumps({"error": {"code": "SERVICE_UNAVAILABLE",
                                       "message": "query module is restarting"}})))
    else:
        page.route(pattern, lambda r: r.abort("internetdisconnected"))


@pytest.fixture(scope="module")
def corpus(env, api_token) -> dict[str, str]:
    """Two tagged documents, one with a long description that a snippet must cut."""
    marker = uuid.uuid4().hex[:8]
    long_text = (f"Акт сверки {marker} по «Договору поставки №5» от марта. " +
                 "Стороны подтверждают расчёты за период без разногласий и замечаний. " * 6 +
                 "Подписано обеими сторонами».")
    ids = {
        "long": _upload(env, api_token, f"акт-{marker}.txt", b"a" * 3000,
                        description=long_text, tags=json.dumps(["сверка", f"t{marker}"])),
        "short": _upload(env, api_token, f"счёт-{marker}.txt", b"b" * 10,
                         description=f"Счёт {marker}", tags=json.dumps([f"t{marker}"])),
    }
    for file_id in ids.values():
        _wait_indexed(env, api_token, file_id)
    return {**ids, "marker": marker}


PAGES = [
    ("dashboard", "/dashboard", "Dashboard", "Обзор"),
    ("storage-elements", "/storage-elements", "Storage elements", "Элементы хранения"),
    ("se-details", "/storage-elements/{se}", "se-edit-1", "se-edit-1"),
    ("files", "/files", "Files", "Файлы"),
    ("file-details", "/files/{file}", "акт-", "акт-"),
    ("service-accounts", "/service-accounts", "Service accounts", "Сервисные аккаунты"),
    ("admin-users", "/admin-users", "Administrators", "Администраторы"),
    ("audit", "/audit", "Audit log", "Журнал аудита"),
    ("sagas", "/sagas", "Sagas", "Саги"),
    ("not-found", "/no-such-page", "Page not found", "Страница не найдена"),
]


def _no_sideways_scroll(page: Page) -> None:
    over = page.evaluate("""() => {
        const c = document.querySelector('mat-sidenav-content');
        const w = document.documentElement.clientWidth;
        return { doc: document.documentElement.scrollWidth - w,
                 content: c ? c.scrollWidth - c.clientWidth : 0 }; }""")
    assert over["doc"] <= 0 and over["content"] <= 0, f"sideways scroll: {over}"


def _bottom_inside_window(page: Page) -> None:
    box = page.evaluate("""() => { const c = document.querySelector('mat-sidenav-content');
        return { bottom: c.getBoundingClientRect().bottom, height: window.innerHeight }; }""")
    assert box["bottom"] <= box["height"] + 0.5, f"page runs past the window: {box}"


class TestEveryPage:
    @pytest.mark.parametrize(("size", "lang"), [
        ("desktop", "en"), ("desktop", "ru"), ("phone", "en"), ("phone", "ru"), ("tablet", "en"),
    ])
    def test_every_page_renders_fits_and_is_photographed(
        self, admin_page: Page, env, api_token, corpus, lang, size
    ):
        page = admin_page
        ses = httpx.get(env["ADMIN_URL"] + "/api/v1/storage-elements",
                        headers={"Authorization": f"Bearer {api_token}"}).json()["items"]
        se_id = next(se["id"] for se in ses if se["name"] == "se-edit-1")
        page.set_viewport_size({"desktop": DESKTOP, "phone": PHONE, "tablet": TABLET}[size])
        page.get_by_test_id(f"lang-{lang}").click()
        try:
            for name, path, heading_en, heading_ru in PAGES:
                page.goto(path.format(se=se_id, file=corpus["long"]))
                heading = page.locator("h1.page-title")
                expect(heading).to_contain_text(heading_en if lang == "en" else heading_ru)
                page.wait_for_load_state("networkidle")
                expect(page.get_by_test_id("state-error")).to_have_count(0)
                _no_sideways_scroll(page)
                _bottom_inside_window(page)
                toolbar = page.locator("mat-toolbar").bounding_box()
                assert heading.bounding_box()["y"] >= toolbar["y"] + toolbar["height"]
                if size != "desktop":
                    # The menu waits behind its button instead of covering the page.
                    expect(page.get_by_test_id("nav-files")).not_to_be_in_viewport()
                shot(page, f"i16-{name}-{lang}-{size}")
            if size == "phone":
                page.get_by_test_id("menu-toggle").click()
                expect(page.get_by_test_id("nav-files")).to_be_in_viewport()
                shot(page, f"i16-menu-open-{lang}-{size}")
                page.get_by_test_id("nav-files").click()
                expect(page).to_have_url(re.compile(r"/files"))
                expect(page.get_by_test_id("nav-files")).not_to_be_in_viewport()
                # The files table reflows into cards: no header row, each cell labelled.
                table = page.get_by_test_id("files-table")
                expect(table.locator("tr.mat-mdc-header-row")).to_be_hidden()
                row = table.locator("tr.mat-mdc-row").first
                size_label = "Size" if lang == "en" else "Размер"
                expect(row.locator(f"td[data-label='{size_label}']")).to_be_visible()
                assert row.bounding_box()["width"] <= PHONE["width"]
        finally:
            page.get_by_test_id("lang-en").click()

    def test_unknown_url_says_not_found_and_keeps_the_address(self, admin_page: Page):
        page = admin_page
        page.goto("/files-typo/42")
        expect(page.get_by_test_id("not-found")).to_contain_text("Page not found")
        expect(page).to_have_url(re.compile(r"/files-typo/42$"))
        page.get_by_role("link", name="Go to the dashboard").click()
        expect(page).to_have_url(re.compile(r"/dashboard$"))


class TestHonestStates:
    @pytest.mark.parametrize("kind", ["503", "down"])
    def test_search_failure_is_shown_with_the_reason_and_retry_recovers(
        self, admin_page: Page, corpus, kind
    ):
        page = admin_page
        _api_failure(page, "**/api/v1/search", kind)
        page.goto("/files")
        error = page.get_by_test_id("state-error")
        expect(error).to_contain_text("The search failed")
        expect(error).to_contain_text("query module is restarting" if kind == "503"
                                      else "cannot be reached")
        expect(page.get_by_test_id("state-loading")).to_have_count(0)
        expect(page.get_by_test_id("files-total")).to_have_count(0)  # no "Found: 0"
        shot(page, f"i16-files-failed-{kind}")
        page.unroute("**/api/v1/search")
        page.get_by_test_id("state-retry").click()
        expect(page.get_by_test_id("files-table")).to_be_visible()
        expect(page.get_by_test_id("state-error")).to_have_count(0)

    @pytest.mark.parametrize("kind", ["503", "down"])
    def test_unreachable_storage_element_list_is_not_shown_as_empty(
        self, admin_page: Page, kind
    ):
        page = admin_page
        se_list = re.compile(r"/api/v1/storage-elements(\?.*)?$")
        _api_failure(page, se_list, kind)
        page.goto("/storage-elements")
        expect(page.get_by_test_id("state-error")).to_contain_text(
            "Could not load the storage elements")
        expect(page.get_by_text("No storage elements registered")).to_have_count(0)
        page.goto("/dashboard")
        expect(page.get_by_test_id("dash-ses").get_by_test_id("state-error")).to_be_visible()
        expect(page.get_by_test_id("dash-ses")).not_to_contain_text("No storage elements")
        page.unroute(se_list)
        page.get_by_test_id("dash-ses").get_by_test_id("state-retry").click()
        expect(page.get_by_test_id("dash-ses")).to_contain_text("se-edit-1")

    @pytest.mark.parametrize("kind", ["503", "down"])
    def test_list_pages_show_failures_in_place(self, admin_page: Page, kind):
        page = admin_page
        for path, api, text in (("/audit", "**/api/v1/audit?*", "Could not load the audit log"),
                                ("/sagas", "**/api/v1/sagas?*", "Could not load the sagas"),
                                ("/admin-users", "**/api/v1/admin-users?*",
                                 "Could not load the administrators"),
                                ("/service-accounts", "**/api/v1/service-accounts?*",
                                 "Could not load the service accounts")):
            _api_failure(page, api, kind)
            page.goto(path)
            expect(page.get_by_test_id("state-error")).to_contain_text(text)
            page.unroute(api)
            page.get_by_test_id("state-retry").click()
            expect(page.get_by_test_id("state-error")).to_have_count(0)

    def test_missing_file_is_asked_for_once_and_says_so(self, admin_page: Page):
        page = admin_page
        missing = str(uuid.uuid4())
        calls: list[str] = []
        page.on("request", lambda r: calls.append(r.url)
                if r.url.endswith(f"/api/v1/files/{missing}") else None)
        page.goto(f"/files/{missing}")
        expect(page.get_by_test_id("state-error")).to_contain_text("File not found")
        page.wait_for_load_state("networkidle")
        assert len(calls) == 1, calls
        shot(page, "i16-file-missing")


class TestSearchWork:
    def test_search_lives_in_the_url_and_back_restores_it(self, admin_page: Page, corpus):
        page = admin_page
        marker = corpus["marker"]
        page.goto("/files")
        page.get_by_test_id("files-query").fill(marker)
        page.get_by_test_id("files-search").click()
        expect(page).to_have_url(re.compile(rf"/files\?q={marker}$"))
        expect(page.get_by_test_id("files-total")).to_have_text("Found: 2")
        # Sortable columns: size ascending, then descending, both in the URL.
        page.get_by_test_id("sort-size").click()
        expect(page).to_have_url(re.compile(r"sort=size&order=asc"))
        names = page.locator("a.fname")
        expect(names.first).to_contain_text("счёт-")
        page.get_by_test_id("sort-size").click()
        expect(page).to_have_url(re.compile(r"sort=size&order=desc"))
        expect(names.first).to_contain_text("акт-")
        # Tag facet: counts per tag, a click filters (and goes into the URL).
        facet = page.get_by_test_id("facet-tags")
        expect(facet).to_contain_text(f"t{marker}")
        facet.get_by_role("button", name=re.compile("сверка")).click()
        expect(page).to_have_url(re.compile(r"tag=%D1%81%D0%B2%D0%B5%D1%80%D0%BA%D0%B0"))
        expect(page.get_by_test_id("files-total")).to_have_text("Found: 1")
        url = page.url
        names.first.click()
        expect(page.get_by_test_id("file-name")).to_contain_text("акт-")
        page.go_back()
        expect(page).to_have_url(url)
        expect(page.get_by_test_id("files-query")).to_have_value(marker)
        expect(page.get_by_test_id("files-total")).to_have_text("Found: 1")
        # The address is shareable: a fresh load of it gives the same search.
        page.goto(url)
        expect(page.get_by_test_id("files-total")).to_have_text("Found: 1")

    def test_a_search_is_saved_by_name_and_reopened(self, admin_page: Page, corpus):
        page = admin_page
        marker = corpus["marker"]
        page.goto(f"/files?q={marker}&sort=size&order=desc")
        page.get_by_test_id("saved-add").click()
        page.get_by_test_id("saved-name").fill(f"Акты {marker}")
        page.get_by_test_id("saved-save").click()
        page.get_by_test_id("files-clear").click()
        expect(page).to_have_url(re.compile(r"/files$"))
        page.reload()  # kept for this administrator across reloads
        page.get_by_test_id(f"saved-Акты {marker}").click()
        expect(page).to_have_url(re.compile(rf"q={marker}&sort=size&order=desc"))
        expect(page.get_by_test_id("files-total")).to_have_text("Found: 2")
        page.get_by_role("button", name=f"Delete Акты {marker}").click()
        expect(page.get_by_test_id(f"saved-Акты {marker}")).to_have_count(0)

    def test_ticked_files_stay_ticked_across_searches_and_finalize_together(
        self, admin_page: Page, env, api_token
    ):
        marker = uuid.uuid4().hex[:8]
        ids = [_upload(env, api_token, f"bulk-{marker}-{i}.txt", b"x" * 50) for i in range(2)]
        for file_id in ids:
            _wait_indexed(env, api_token, file_id)
        page = admin_page
        page.goto(f"/files?q=bulk-{marker}-0.txt&mode=exact")
        expect(page.locator("a.fname")).to_have_text(f"bulk-{marker}-0.txt")
        page.get_by_test_id("tick").first.click()
        page.get_by_test_id("files-query").fill(f"bulk-{marker}-1.txt")
        page.get_by_test_id("files-search").click()
        expect(page).to_have_url(re.compile(rf"q=bulk-{marker}-1"))
        expect(page.get_by_test_id("bulk-bar")).to_contain_text("1 selected")
        expect(page.locator("a.fname")).to_have_text(f"bulk-{marker}-1.txt")
        page.get_by_test_id("tick").first.click()
        bar = page.get_by_test_id("bulk-bar")
        expect(bar).to_contain_text("2 selected")
        shot(page, "i16-bulk")
        page.get_by_test_id("bulk-finalize").click()
        expect(page.locator("simple-snack-bar")).to_contain_text(
            "Finalization started for 2 of 2 files")
        expect(bar).to_have_count(0)
        sagas = httpx.get(env["ADMIN_URL"] + "/api/v1/sagas", params={"type": "finalize"},
                          headers={"Authorization": f"Bearer {api_token}"}).json()["items"]
        assert set(ids) <= {s["resource_id"] for s in sagas}

    def test_snippets_say_where_text_was_cut_and_keep_closing_quotes(
        self, admin_page: Page, corpus
    ):
        page = admin_page
        page.goto(f"/files?q=сверки {corpus['marker']}")
        snippet = page.get_by_test_id("files-snippet").first
        expect(snippet.locator("mark").first).to_be_visible()
        text = snippet.inner_text().strip()
        assert text.endswith("…") or text.endswith("»."), text
        assert "«Договору поставки №5»" in text, text

    def test_created_date_filter_is_written_the_russian_way(self, admin_page: Page):
        page = admin_page
        page.get_by_test_id("lang-ru").click()
        try:
            page.goto("/audit")
            since = page.get_by_test_id("audit-since")
            since.fill("05.11.2026")
            since.blur()
            expect(since).to_have_value("05.11.2026")
            page.get_by_test_id("lang-en").click()
            page.goto("/audit")
            page.get_by_test_id("audit-since").fill("05/11/2026")
            page.get_by_test_id("audit-since").blur()
            expect(page.get_by_test_id("audit-since")).to_have_value("05/11/2026")
        finally:
            page.get_by_test_id("lang-en").click()

    def test_audit_action_filter_matches_part_of_a_code(self, admin_page: Page):
        page = admin_page
        page.goto("/audit")
        page.get_by_test_id("audit-action").fill("LOGIN")
        expect(page.locator("mat-option").first).to_contain_text("Administrator sign-in")
        page.keyboard.press("Escape")
        with page.expect_request(re.compile(r"/api/v1/audit\?.*action_contains=LOGIN")):
            page.get_by_role("button", name="Search").click()
        rows = page.locator("[data-testid=audit-table] tr.mat-mdc-row:not(.detail-row)")
        expect(rows.first).to_contain_text("Administrator sign-in")
        titles = rows.locator("td.mat-column-action").evaluate_all(
            "cells => cells.map(c => c.title)")
        assert titles and all("login" in t.lower() for t in titles), titles


class TestDashboardFigures:
    def test_chart_is_one_request_and_totals_are_explained(self, admin_page: Page):
        page = admin_page
        searches: list[str] = []
        page.on("request", lambda r: searches.append(r.url) if "/api/v1/search" in r.url
                else None)
        page.goto("/dashboard")
        expect(page.get_by_test_id("trend-chart")).to_be_visible()
        page.wait_for_load_state("networkidle")
        # One count for the total card, one faceted search for the 14 days.
        assert len(searches) == 2, searches
        expect(page.get_by_test_id("trend-chart").locator(".col")).to_have_count(14)
        value = page.get_by_test_id("card-files-value").inner_text()
        assert re.fullmatch(r"[\d,]+", value), value
        expect(page.get_by_test_id("card-files-se")).to_contain_text("Storage elements report")


class TestActionsExplainThemselves:
    def test_disabled_confirm_button_looks_disabled_and_says_why(self, admin_page: Page):
        page = admin_page
        page.goto("/storage-elements")
        page.get_by_test_id("se-mode-se-rw-1").click()
        ok = page.get_by_test_id("confirm-ok")
        expect(ok).to_be_disabled()
        expect(page.get_by_test_id("confirm-hint")).to_have_text(
            "Type a reason to enable the button")
        assert ok.evaluate("b => getComputedStyle(b).backgroundColor") != "rgb(179, 38, 30)"
        page.get_by_test_id("confirm-reason").fill("why")
        expect(page.get_by_test_id("confirm-hint")).to_have_count(0)
        expect(ok).to_have_css("background-color", "rgb(179, 38, 30)")
        page.get_by_test_id("confirm-cancel").click()

    def test_storage_element_delete_says_why_it_is_unavailable(
        self, admin_page: Page, env, api_token, corpus
    ):
        ses = httpx.get(env["ADMIN_URL"] + "/api/v1/storage-elements?sync=true",
                        headers={"Authorization": f"Bearer {api_token}"}).json()["items"]
        edit = next(se for se in ses if se["name"] == "se-edit-1")
        page = admin_page
        page.goto(f"/storage-elements/{edit['id']}")
        page.get_by_role("button", name="Sync").click()
        expect(page.get_by_test_id("se-delete")).to_be_disabled()
        expect(page.get_by_test_id("se-delete-why")).to_contain_text(
            "only for an empty storage element")

    def test_new_administrator_dialog_states_the_password_policy(self, admin_page: Page):
        page = admin_page
        page.goto("/admin-users")
        page.get_by_test_id("user-add").click()
        expect(page.get_by_test_id("password-policy")).to_contain_text("at least 12 characters")
        page.keyboard.press("Escape")


class TestUploadQueue:
    def test_many_files_queue_with_progress_links_and_ttl_message(
        self, admin_page: Page, tmp_path: Path
    ):
        page = admin_page
        marker = uuid.uuid4().hex[:8]
        paths = []
        for i in range(3):
            p = tmp_path / f"пакет-{marker}-{i}.txt"
            p.write_bytes(f"документ {i} {marker}\n".encode() * (2000 * (i + 1)))
            paths.append(str(p))
        page.goto("/files")
        page.get_by_test_id("files-upload").click()
        page.get_by_test_id("upload-ttl").fill("400")
        expect(page.get_by_test_id("upload-ttl-error")).to_have_text(
            "Enter a whole number of days from 1 to 365")
        page.get_by_test_id("upload-input").set_input_files(paths)
        expect(page.get_by_test_id("upload-submit")).to_be_disabled()
        page.get_by_test_id("upload-ttl").fill("30")
        expect(page.get_by_test_id("upload-submit")).to_have_text("Upload (3)")
        page.get_by_test_id("upload-submit").click()
        expect(page.get_by_test_id("upload-done")).to_have_count(3)
        expect(page.get_by_test_id("upload-progress")).to_have_attribute("aria-valuenow", "100")
        expect(page.get_by_test_id("upload-summary")).to_contain_text("3 of 3 uploaded")
        shot(page, "i16-upload-queue")
        # Each stored file has a link to its page.
        page.get_by_test_id("upload-link").nth(1).click()
        expect(page).to_have_url(re.compile(r"/files/[0-9a-f-]{36}$"))
        expect(page.get_by_test_id("file-name")).to_have_text(f"пакет-{marker}-1.txt")

    def test_a_failed_upload_can_be_retried(self, admin_page: Page, tmp_path: Path):
        page = admin_page
        src = tmp_path / "retry-me.txt"
        src.write_bytes(b"retry\n" * 100)
        page.goto("/files")
        page.get_by_test_id("files-upload").click()
        _api_failure(page, "**/api/v1/files", "503")
        page.get_by_test_id("upload-input").set_input_files(str(src))
        page.get_by_test_id("upload-submit").click()
        expect(page.get_by_test_id("upload-error")).to_contain_text("query module is restarting")
        page.unroute("**/api/v1/files")
        page.get_by_test_id("upload-retry").click()
        expect(page.get_by_test_id("upload-done")).to_have_count(1)
        expect(page.get_by_test_id("upload-error")).to_have_count(0)


PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e5274db60000000049454e44ae426082")


class TestPreview:
    def test_text_preview_reads_only_the_start_of_a_large_file(
        self, admin_page: Page, env, api_token
    ):
        body = ("строка текста для просмотра\n" * 6000).encode()  # ~300 KB
        file_id = _upload(env, api_token, "большой.txt", body)
        _wait_indexed(env, api_token, file_id)
        page = admin_page
        ranges: list[str | None] = []
        page.on("request", lambda r: ranges.append(r.headers.get("range"))
                if r.url.endswith(f"/files/{file_id}/download") else None)
        page.goto(f"/files/{file_id}")
        preview = page.get_by_test_id("preview-text")
        expect(preview).to_contain_text("строка текста для просмотра")
        expect(page.get_by_test_id("file-preview")).to_contain_text("Showing the first 64")
        assert ranges == ["bytes=0-65535"], ranges
        shot(page, "i16-preview-text")

    def test_image_preview_shows_the_picture(self, admin_page: Page, env, api_token):
        r = httpx.post(env["INGESTER_URL"] + "/api/v1/files",
                       headers={"Authorization": f"Bearer {api_token}"},
                       data={"retention_policy": "temporary"},
                       files={"file": ("точка.png", PNG_1PX, "image/png")})
        assert r.status_code == 201, r.text
        file_id = r.json()["file_id"]
        _wait_indexed(env, api_token, file_id)
        page = admin_page
        page.goto(f"/files/{file_id}")
        img = page.get_by_test_id("preview-image")
        expect(img).to_be_visible()
        assert img.evaluate("i => i.complete && i.naturalWidth") == 1
