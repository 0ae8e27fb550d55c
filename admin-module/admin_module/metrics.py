"""Domain metrics of the admin module (HTTP metrics come from artstore_common's middleware)."""

from __future__ import annotations

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
