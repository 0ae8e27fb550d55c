"""Sagas survive the admin module dying: the process exits (as a crash) right after a step is
committed, or after a step did its work but before the log says so; a restarted module resumes
and every saga ends completed or compensated, with no file lost and none live in two places.
A storage element going offline mid-saga trips its breaker and the saga retries later."""

from __future__ import annotations

import hashlib
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from admin_control_stack import ControlStack  # noqa: E402

from artstore_common.testing import ServiceProcess  # noqa: E402

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

FINALIZE_STEPS = ["copy", "verify", "mark_source_finalized", "wait_safety_margin",
                  "delete_source"]


@pytest.fixture(scope="module")
def stack(make_database, redis_url, tmp_path_factory):
    stack = ControlStack(make_database=make_database, redis_url=redis_url,
                         workdir=tmp_path_factory.mktemp("crash"),
                         admin_overrides={"SAGA_MAX_ATTEMPTS": "1000",
                                          "SE_HEALTH_INTERVAL_SECONDS": "1"})
    try:
        stack.start_admin()
        stack.edit = stack.start_se("cr-edit", "edit")
        stack.rw = stack.start_se("cr-rw", "rw")
        stack.register(stack.edit)
        stack.register(stack.rw)
        stack.admin.stop()
        yield stack
    finally:
        stack.stop()


def copies(stack: ControlStack, file_id: uuid.UUID) -> dict[str, dict]:
    found = {}
    for se in (stack.edit, stack.rw):
        attrs = stack.se_file(se, file_id)
        if attrs is not None:
            found[se.mode] = attrs
    return found


def assert_not_lost(stack: ControlStack, file_id: uuid.UUID, data: bytes) -> dict[str, dict]:
    """Some copy holds exactly the uploaded bytes, and every copy has the right checksum."""
    found = copies(stack, file_id)
    assert found, "the file was lost"
    sha = hashlib.sha256(data).hexdigest()
    assert all(a["sha256"] == sha for a in found.values())
    se = stack.rw if "rw" in found else stack.edit
    assert stack.se_content(se, file_id) == data
    return found


def assert_live_once(found: dict[str, dict]) -> None:
    """Live = active and not finalized; the finalized edit source is no longer live."""
    live = [m for m, a in found.items()
            if a["status"] == "active" and a.get("finalized_at") is None]
    assert len(live) == 1, found


def crash_then_resume(stack: ControlStack, hook: str, start) -> dict:
    stack.start_admin(SAGA_CRASH_AFTER_STEP=hook)
    saga_id = start()
    code = stack.wait_admin_exit()
    assert code == 137, f"the crash hook {hook} did not fire: {stack.admin.tail()}"
    stack.start_admin()
    try:
        saga = stack.wait_saga(saga_id)
    finally:
        stack.admin.stop()
    return saga


@pytest.mark.parametrize("hook", [f"finalize:{s}" for s in FINALIZE_STEPS]
                         + [f"before-commit:finalize:{s}" for s in
                            ("copy", "mark_source_finalized", "delete_source")])
def test_finalize_resumes_after_a_crash(stack, hook):
    data = f"finalize across a crash at {hook} ".encode() * 200
    file_id = stack.upload(stack.edit, data)

    def start() -> str:
        return stack.start_saga("POST", f"/api/v1/files/{file_id}/finalize", str(file_id))

    stack.start_admin(SAGA_CRASH_AFTER_STEP=hook)
    saga_id = start()
    assert stack.wait_admin_exit() == 137, stack.admin.tail()
    assert_not_lost(stack, file_id, data)  # whatever state the crash left behind
    stack.start_admin()
    try:
        saga = stack.wait_saga(saga_id)
    finally:
        stack.admin.stop()
    assert saga["state"] == "completed", saga
    found = assert_not_lost(stack, file_id, data)
    assert set(found) == {"rw"}
    assert_live_once(found)
    assert found["rw"]["retention_policy"] == "permanent"
    done = [e["step"] for e in saga["steps"] if e["status"] == "done"]
    assert done == FINALIZE_STEPS


@pytest.mark.parametrize("first,second", [
    ("mark_draining", "wait_in_flight"),
    ("switch_mode", "publish"),
    ("before-commit:mark_draining", "before-commit:switch_mode"),
])
def test_mode_transition_resumes_after_a_crash(stack, first, second):
    """One SE goes rw → ro with a crash at ``first``, then ro → ar with one at ``second``."""
    stack.start_admin()
    se = stack.start_se(f"cr-mode-{uuid.uuid4().hex[:6]}", "rw")
    stack.register(se)
    stack.admin.stop()
    for hook, target in ((first, "ro"), (second, "ar")):
        prefix, _, step = hook.rpartition(":")
        full_hook = f"{prefix + ':' if prefix else ''}mode_transition:{step}"

        def start(target: str = target) -> str:
            return stack.start_saga("POST", f"/api/v1/storage-elements/{se.id}/mode",
                                    str(se.id), json={"target_mode": target, "reason": "crash"})

        saga = crash_then_resume(stack, full_hook, start)
        assert saga["state"] == "completed", saga
        info = httpx.get(se.url + "/api/v1/info", headers=stack.headers()).json()
        assert info["mode"] == target
    stack.start_admin()
    try:
        read = stack.api("GET", f"/api/v1/storage-elements/{se.id}").json()
    finally:
        stack.admin.stop()
    assert read["mode"] == "ar" and read["draining"] is False
    se.stop()


def test_se_offline_mid_saga_trips_the_breaker_and_the_saga_retries_later(stack):
    data = b"waits for its target to come back " * 100
    file_id = stack.upload(stack.edit, data)
    stack.start_admin()
    try:
        stack.rw.stop()
        response = stack.api("POST", f"/api/v1/files/{file_id}/finalize")
        assert response.status_code == 202, response.text
        saga_id = response.json()["id"]

        def breaker_open() -> bool:
            metrics = httpx.get(stack.admin.url + "/metrics").text
            return (f'artstore_circuit_breaker_state{{service="admin-module",'
                    f'target="{stack.rw.id}"}} 2.0') in metrics

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not breaker_open():
            time.sleep(0.2)
        assert breaker_open()
        saga = stack.saga(saga_id)
        assert saga["state"] == "running" and saga["current_step"] == "copy"
        assert saga["attempts"] >= 1
        assert any(e["status"] == "retry" for e in saga["steps"])
        assert stack.se_file(stack.edit, file_id)["finalized_at"] is None

        stack.rw.proc = ServiceProcess("storage_element.main:create_app", stack.rw.env,
                                       port=stack.rw.proc.port, log_path=stack.rw.proc.log_path,
                                       name=stack.rw.name).start(120)
        saga = stack.wait_saga(saga_id)
        assert saga["state"] == "completed", saga
        assert set(assert_not_lost(stack, file_id, data)) == {"rw"}
    finally:
        stack.admin.stop()


def test_two_admin_instances_never_run_the_same_saga(stack):
    """Both instances poll the same table; SKIP LOCKED hands each saga to one of them."""
    stack.start_admin()
    second = ServiceProcess("admin_module.main:create_app", stack.admin_env(),
                            log_path=str(stack.workdir / "admin-2.log"), name="admin-2")
    second.start(120)
    try:
        files = [(stack.upload(stack.edit, f"pair {i} ".encode() * 50), i) for i in range(4)]
        ids = []
        for file_id, _ in files:
            response = stack.api("POST", f"/api/v1/files/{file_id}/finalize")
            assert response.status_code == 202
            ids.append(response.json()["id"])
        for saga_id in ids:
            saga = stack.wait_saga(saga_id)
            assert saga["state"] == "completed", saga
            done = [e["step"] for e in saga["steps"] if e["status"] == "done"]
            assert done == FINALIZE_STEPS  # each step exactly once
        for file_id, i in files:
            assert set(assert_not_lost(stack, file_id, f"pair {i} ".encode() * 50)) == {"rw"}
    finally:
        second.stop()
        stack.admin.stop()

