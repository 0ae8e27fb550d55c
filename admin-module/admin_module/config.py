"""Admin module settings: UPPERCASE fields equal the environment variable names."""

from __future__ import annotations

from pydantic import Field

from artstore_common.contracts import FILE_EVENTS_STREAM
from artstore_common.settings import ArtStoreSettings


class Settings(ArtStoreSettings):
    SERVICE_NAME: str = "admin-module"
    PORT: int = 8000

    DATABASE_URL: str = "postgresql+asyncpg://artstore:artstore@localhost:5432/artstore_admin"
    DATABASE_POOL_SIZE: int = 10
    DATABASE_ECHO: bool = False
    MIGRATE_ON_STARTUP: bool = True
    REDIS_URL: str = "redis://localhost:6379/0"
    QUERY_URL: str = "http://localhost:8030"  # holds by saved search run it there
    FILE_EVENTS_STREAM: str = FILE_EVENTS_STREAM  # the SEs' events: classes given at upload

    # Tokens and signing keys
    ACCESS_TOKEN_TTL_SECONDS: int = Field(default=1800, ge=60, le=86400)
    REFRESH_TOKEN_TTL_DAYS: int = Field(default=7, ge=1, le=90)
    JWT_ROTATION_INTERVAL_HOURS: float = Field(default=24.0, gt=0)
    JWT_ROTATION_CHECK_SECONDS: float = Field(default=60.0, gt=0)
    JWT_KEY_SIZE: int = 2048
    JWT_KEYS_ENCRYPTION_KEY: str | None = None
    SIGNING_KEY_CACHE_SECONDS: float = 10.0

    # Accounts
    SECRET_TTL_DAYS: int = Field(default=90, ge=1)
    SECRET_HISTORY_SIZE: int = Field(default=5, ge=1)
    PASSWORD_MIN_LENGTH: int = Field(default=12, ge=8)
    PASSWORD_HISTORY_SIZE: int = Field(default=5, ge=0)
    LOGIN_MAX_FAILURES: int = Field(default=5, ge=1)
    LOCKOUT_MINUTES: int = Field(default=15, ge=1)

    # Argon2id; production strength by default, cheaper in tests through the environment.
    ARGON2_TIME_COST: int = Field(default=3, ge=1)
    ARGON2_MEMORY_COST_KIB: int = Field(default=65536, ge=8)
    ARGON2_PARALLELISM: int = Field(default=4, ge=1)

    # Rate limiting (sliding window, Redis); fails open when Redis is unreachable.
    RATE_LIMIT_DEFAULT_PER_MINUTE: int = Field(default=100, ge=1)
    LOGIN_RATE_LIMIT_PER_MINUTE: int = Field(default=20, ge=1)
    # Token endpoint: refused attempts per window from one source address for one client id,
    # and for unknown client ids together.
    TOKEN_FAILURES_PER_CLIENT_SOURCE: int = Field(default=10, ge=1)
    TOKEN_FAILURES_PER_SOURCE: int = Field(default=100, ge=1)
    RATE_LIMIT_WINDOW_SECONDS: int = Field(default=60, ge=1)
    RATE_LIMIT_KEY_PREFIX: str = "artstore:ratelimit"

    # Audit
    AUDIT_HMAC_SECRET: str | None = None
    AUDIT_RETENTION_DAYS: int = Field(default=2555, ge=1)
    AUDIT_VERIFY_INTERVAL_SECONDS: float = Field(default=3600.0, gt=0)
    AUDIT_FULL_VERIFY_INTERVAL_SECONDS: float = Field(default=86400.0, gt=0)
    AUDIT_CHECKPOINT_EVERY: int = Field(default=10_000, ge=100)

    # Initial accounts
    ARTSTORE_ADMIN_USER: str = "admin"
    ARTSTORE_ADMIN_PASSWORD: str | None = None
    ARTSTORE_CLIENT_ID: str = "admin-service"
    ARTSTORE_CLIENT_SECRET: str | None = None
    ARTSTORE_BOOTSTRAP_FILE: str | None = None

    # --- Control plane (registry, discovery, sagas, retention) -----------------------------
    SE_HEALTH_INTERVAL_SECONDS: float = Field(default=60.0, gt=0)
    SE_REQUEST_TIMEOUT_SECONDS: float = Field(default=10.0, gt=0)
    SE_TRANSFER_TIMEOUT_SECONDS: float = Field(default=300.0, gt=0)  # per chunk of a copy
    SE_BREAKER_FAIL_MAX: int = Field(default=3, ge=1)
    SE_BREAKER_RESET_SECONDS: float = Field(default=30.0, gt=0)
    SE_RETENTION_WARNING_DAYS: int = Field(default=30, ge=0)
    DISCOVERY_REPUBLISH_SECONDS: float = Field(default=30.0, gt=0)
    DISCOVERY_TTL_SECONDS: int = Field(default=300, ge=10)
    SAGA_POLL_SECONDS: float = Field(default=2.0, gt=0)
    SAGA_RETRY_BASE_SECONDS: float = Field(default=5.0, gt=0)
    SAGA_RETRY_MAX_SECONDS: float = Field(default=300.0, gt=0)
    SAGA_MAX_ATTEMPTS: int = Field(default=20, ge=1)
    SAGA_RETENTION_DAYS: int = Field(default=90, ge=1)  # finished sagas are purged after this
    SAGA_CRASH_AFTER_STEP: str | None = None  # test only: os._exit after persisting this step
    # Dashboard (issue 16): each SE's usage and fixity counts sampled into the admin database,
    # kept this long; Grafana's public address for the console's links (none: no links).
    DASHBOARD_SAMPLE_INTERVAL_SECONDS: float = Field(default=300.0, gt=0)
    DASHBOARD_SAMPLE_RETENTION_DAYS: int = Field(default=90, ge=1)
    GRAFANA_URL: str | None = None
    MODE_DRAIN_SETTLE_SECONDS: float = Field(default=2.0, ge=0)
    MODE_DRAIN_TIMEOUT_SECONDS: float = Field(default=600.0, gt=0)
    FINALIZE_SAFETY_MARGIN_SECONDS: float = Field(default=86400.0, ge=0)
    RETENTION_CLEANUP_INTERVAL_SECONDS: float = Field(default=3600.0, gt=0)
    RETENTION_BATCH_SIZE: int = Field(default=500, ge=1, le=10000)
    # The repairer (copies): one scan + repair run per interval; copies made per run (the
    # rate limit: at most this many files' bytes are moved per interval).
    REPAIR_INTERVAL_SECONDS: float = Field(default=300.0, gt=0)
    REPAIR_MAX_COPIES_PER_RUN: int = Field(default=200, ge=1, le=100000)
    # An SE unreachable for longer than this (since it was last seen) is treated as lost:
    # its copies stop counting and the repairer replaces them elsewhere.
    COPIES_OFFLINE_GRACE_SECONDS: float = Field(default=86400.0, gt=0)


def get_settings() -> Settings:
    return Settings()
