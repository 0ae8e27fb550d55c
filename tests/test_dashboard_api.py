"""The dashboard's figures (issue 16) against the real suite: capacity samples per SE, fixity
counts that follow a quarantine, uploads/downloads/errors from the audit chain, Grafana links.
The suite samples every 5 s (``DASHBOARD_SAMPLE_INTERVAL_SECONDS``) and sets ``GRAFANA_URL``.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from e2e_support import Api, assert_error, new_account, token_of, wait_for

from admin_module.dashboard.service import links

pytestmark = pytest.mark.e2e


def upload(api: Api, policy: str = "temporary") -> dict:
    r = api.upload(f"dash-{uuid.uuid4().hex[:6]}.txt", b"dash " + uuid.uuid4().bytes * 100,
                   retention_policy=policy)
    assert r.status_code == 201, r.text
    return r.json()


def get(api: Api, path: str, **params) -> dict:
    r = api.admin("GET", f"/api/v1/dashboard/{path}", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def test_capacity_is_sampled_per_storage_element_and_grows(system):
    names = {se["name"] for se in system.storage_elements()}
    wait_for(lambda: {s["name"] for s in get(system, "capacity")["series"]} == names,
             "a sample of every storage element")
    before = {s["name"]: s["points"][-1]["used_bytes"] for s in get(system, "capacity")["series"]}
    stored = upload(system, "permanent")

    def grown() -> bool:
        latest = {s["name"]: s["points"][-1]["used_bytes"]
                  for s in get(system, "capacity", hours=1)["series"]}
        return sum(latest.values()) >= sum(before.values()) + 2 * stored["size"]

    wait_for(grown, "the samples to show both copies' bytes")
    series = get(system, "capacity", hours=1)["series"][0]
    point = series["points"][-1]
    assert point["capacity_bytes"] > 0 and point["file_count"] >= 0
    assert_error(system.admin("GET", "/api/v1/dashboard/capacity", params={"hours": 0}), 422)
    assert_error(system.admin("GET", "/api/v1/dashboard/capacity", params={"hours": "x"}), 422)


def test_fixity_counts_follow_a_quarantine(system):
    stored = upload(system, "permanent")
    file_id = stored["file_id"]
    for directory in system.env["SE_DATA_DIRS"].split(","):
        sidecar = next(Path(directory).rglob(f"*{file_id}*.attr.json"), None)
        if sidecar is not None:
            data = sidecar.with_name(sidecar.name.removesuffix(".attr.json"))
            rotten = bytearray(data.read_bytes())
            rotten[7] ^= 0x01
            data.write_bytes(bytes(rotten))
            break
    quarantined_before = get(system, "fixity")["totals"]["quarantined"]
    r = system.admin("POST", f"/api/v1/files/{file_id}/verify")
    assert "mismatch" in {c["outcome"] for c in r.json()["copies"]}
    wait_for(lambda: get(system, "fixity")["totals"]["quarantined"] > quarantined_before,
             "the sampled fixity counts to show the quarantined copy")
    fixity = get(system, "fixity")
    assert fixity["totals"]["verified"] >= 1 and fixity["totals"]["last_verified_at"]
    assert {i["name"] for i in fixity["items"]} == {se["name"] for se in system.storage_elements()}


def test_uploads_downloads_and_errors_are_counted(system):
    before = get(system, "activity")["totals"]
    owner, other = (Api(system.env, token_of(system.env, new_account(system, "USER",
                                                                      prefix="dash")))
                    for _ in range(2))
    file_id = upload(owner)["file_id"]
    wait_for(lambda: system.download(file_id).status_code == 200, "a download")
    assert_error(other.admin("PATCH", f"/api/v1/files/{file_id}", json={"version": "x"}), 403)

    def counted() -> bool:
        now = get(system, "activity")["totals"]
        return (now["uploads"] > before["uploads"] and now["downloads"] > before["downloads"]
                and now["errors"] > before["errors"])

    wait_for(counted, "the audit chain's counts to include the upload, download and refusal")
    activity = get(system, "activity", hours=48)
    assert activity["step_seconds"] == 3600
    assert "file.change_refused" in {e["action"] for e in activity["errors_by_action"]}


def test_grafana_links_when_configured(system):
    got = get(system, "links")
    assert got["grafana_url"] == "http://grafana.artstore.test:3000"  # scripts/suite.py
    assert got["dashboards"]["storage"] == f"{got['grafana_url']}/d/artstore-storage"
    assert links(None) == links("") == {"grafana_url": None, "dashboards": {}}
    reader = Api(system.env, token_of(system.env, new_account(system, "USER", prefix="dash")))
    assert_error(reader.admin("GET", "/api/v1/dashboard/links"), 403)
