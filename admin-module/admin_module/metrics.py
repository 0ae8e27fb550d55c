"""Every metric of the admin module (HTTP metrics come from artstore_common's middleware).

One module at the bottom of the package: any domain may import it without an import loop.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import Counter, Gauge

TOKENS_ISSUED = Counter(
    "artstore_tokens_issued_total", "Access tokens issued", ["ptype", "grant"]
)
TOKEN_FAILURES = Counter(
    "artstore_token_failures_total", "Token requests refused, by reason", ["reason"]
)
LOGINS = Counter("artstore_admin_logins_total", "Admin-user logins by outcome", ["outcome"])
LOCKOUTS = Counter("artstore_admin_lockouts_total", "Admin users locked after failed logins")
REFRESH_REUSE = Counter(
    "artstore_refresh_token_reuse_total", "Reuse of a rotated refresh token (family revoked)"
)
RATE_LIMIT_HITS = Counter(
    "artstore_rate_limit_hits_total", "Requests refused by the rate limiter", ["scope"]
)
RATE_LIMIT_ERRORS = Counter(
    "artstore_rate_limit_errors_total",
    "Rate-limit checks skipped because Redis failed (the limiter fails open)",
    ["scope"],
)
KEY_ROTATIONS = Counter(
    "artstore_jwt_key_rotations_total", "Signing-key rotations by reason", ["reason"]
)
SIGNING_KEYS_PUBLISHED = Gauge(
    "artstore_jwt_keys_published", "Public keys currently published in the JWKS"
)
AUDIT_VERIFICATIONS = Counter(
    "artstore_audit_chain_verifications_total", "Audit chain verifications by result", ["result"]
)
AUDIT_CHAIN_VALID = Gauge(
    "artstore_audit_chain_valid", "1 when the last audit chain verification passed, else 0"
)
ACTIVE_KEY_CREATED = Gauge(
    "artstore_jwt_active_key_created_timestamp_seconds",
    "When the active signing key started signing (unix time); alert when older than planned",
)
ROTATION_INTERVAL = Gauge(
    "artstore_jwt_rotation_interval_seconds", "Configured signing-key rotation interval"
)
REVOCATION_ERRORS = Counter("artstore_admin_revocation_errors_total",
                            "Revocations that could not be pushed to Redis")

# Sagas
SAGAS = Counter("artstore_saga_total", "Sagas entering each state", ["type", "state"])

# Copy repair (values of the last scan)
UNDER_REPLICATED = Gauge("artstore_copies_under_replicated_files",
                         "Files with fewer healthy copies than their target (last scan)")
LOST = Gauge("artstore_copies_lost_files", "Files with no healthy copy left (last scan)")
SOLE_COPIES = Gauge("artstore_copies_sole_copy_files",
                    "Files whose only healthy copy is on this SE (last scan)", ["se"])
REPAIRS = Counter("artstore_copies_repairs_total", "Copies made by the repairer", ["outcome"])
LAST_SCAN = Gauge("artstore_copies_last_scan_timestamp_seconds",
                  "When the repairer last finished a scan")

# Discovery: publishing, and the registry it publishes (SE capacity, mode, status)
SE_CAPACITY = Gauge(
    "artstore_storage_element_capacity_bytes", "Capacity of a storage element",
    ["storage_element", "name"],
)
SE_USED = Gauge(
    "artstore_storage_element_used_bytes", "Bytes used on a storage element",
    ["storage_element", "name"],
)
SE_MODE = Gauge(
    "artstore_storage_element_mode", "1 for the storage element's current mode",
    ["storage_element", "name", "mode"],
)
SE_STATUS = Gauge(
    "artstore_storage_element_status", "1 for the storage element's current health status",
    ["storage_element", "name", "status"],
)
DISCOVERY_PUBLISH = Counter(
    "artstore_discovery_publish_total", "Discovery document publications by outcome", ["outcome"]
)

MODES = ("edit", "rw", "ro", "ar")
STATUSES = ("online", "degraded", "offline")


def export_storage_elements(elements: Iterable[object]) -> None:
    for se in elements:
        sid, name = str(se.id), se.name  # type: ignore[attr-defined]
        SE_CAPACITY.labels(sid, name).set(se.capacity_bytes)  # type: ignore[attr-defined]
        SE_USED.labels(sid, name).set(se.used_bytes)  # type: ignore[attr-defined]
        for mode in MODES:
            SE_MODE.labels(sid, name, mode).set(1 if se.mode == mode else 0)  # type: ignore[attr-defined]
        for status in STATUSES:
            SE_STATUS.labels(sid, name, status).set(1 if se.status == status else 0)  # type: ignore[attr-defined]
