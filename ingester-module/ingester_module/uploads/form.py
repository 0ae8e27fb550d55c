"""The form fields of an upload, validated into ``UploadOptions`` before any byte is stored."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from artstore_common.validation import UnsafeJson, loads_json, text_problem
from ingester_module.errors import InvalidField, MetadataTooLarge

FIELDS = ("retention_policy", "ttl_days", "description", "tags", "version", "metadata",
          "compress", "retain_until", "retention_class")
DEFAULT_TTL_DAYS = 30
MAX_TAGS = 50
MAX_TAG_CHARS = 100
MAX_DESCRIPTION_CHARS = 2000
MAX_VERSION_CHARS = 64
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", "none"}
_ALGORITHMS = {"gzip": "gzip", "br": "br", "brotli": "br", "zstd": "zstd"}

RetentionPolicy = Literal["temporary", "permanent"]


@dataclass(frozen=True)
class UploadOptions:
    retention_policy: RetentionPolicy = "temporary"
    ttl_days: int | None = DEFAULT_TTL_DAYS
    description: str | None = None
    tags: list[str] = field(default_factory=list)
    version: str | None = None
    custom: dict[str, Any] = field(default_factory=dict)
    compression: str | None = None  # requested algorithm before the per-file type check
    retain_until: datetime | None = None  # records governance; the SE wants records:write
    retention_class: str | None = None  # a retention schedule's name (records:write)

    @property
    def required_mode(self) -> str:
        return "edit" if self.retention_policy == "temporary" else "rw"

    def expires_at(self, now: datetime | None = None) -> datetime | None:
        if self.ttl_days is None:
            return None
        return (now or datetime.now(UTC)) + timedelta(days=self.ttl_days)


def _bad(field_name: str, message: str, **kwargs: Any) -> InvalidField:
    return InvalidField(message, details={"field": field_name}, **kwargs)


def _text(name: str, raw: str, limit: int) -> str | None:
    value = raw.strip()
    if len(value) > limit:
        raise _bad(name, f"'{name}' is longer than {limit} characters")
    problem = text_problem(value)
    if problem:
        raise _bad(name, f"'{name}' {problem}")
    return value or None


def _tags(raw: str) -> list[str]:
    raw = raw.strip()
    if not raw:
        return []
    if raw.startswith("["):
        try:
            parsed = json.loads(raw)
        except ValueError as exc:
            raise _bad("tags", "'tags' is not a valid JSON array") from exc
        if not isinstance(parsed, list) or not all(isinstance(t, str) for t in parsed):
            raise _bad("tags", "'tags' must be a JSON array of strings")
        items = parsed
    else:
        items = raw.split(",")
    tags: list[str] = []
    for item in (t.strip() for t in items):
        if not item:
            continue
        if len(item) > MAX_TAG_CHARS:
            raise _bad("tags", f"A tag is longer than {MAX_TAG_CHARS} characters")
        if text_problem(item):
            raise _bad("tags", f"A tag {text_problem(item)}")
        if item not in tags:
            tags.append(item)
    if len(tags) > MAX_TAGS:
        raise _bad("tags", f"At most {MAX_TAGS} tags are allowed")
    return tags


def _metadata(raw: str, limit: int) -> dict[str, Any]:
    if len(raw.encode("utf-8")) > limit:
        raise MetadataTooLarge(
            f"'metadata' is larger than {limit} bytes", details={"field": "metadata"}
        )
    if not raw.strip():
        return {}
    try:
        parsed = loads_json(raw)
    except UnsafeJson as exc:
        raise _bad("metadata", f"'metadata': {exc}") from exc
    except ValueError as exc:
        raise _bad("metadata", "'metadata' is not valid JSON") from exc
    if not isinstance(parsed, dict):
        raise _bad("metadata", "'metadata' must be a JSON object")
    return parsed


def _retain_until(raw: str) -> datetime | None:
    if not raw.strip():
        return None
    try:
        value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise _bad("retain_until", "'retain_until' must be an ISO 8601 date-time") from exc
    if value.tzinfo is None:
        raise _bad("retain_until", "'retain_until' needs a time zone (e.g. Z)")
    return value


def _compression(raw: str, default: str) -> str | None:
    value = raw.strip().lower()
    if value in _ALGORITHMS:
        return _ALGORITHMS[value]
    if value in _TRUE:
        return default if default != "off" else "gzip"
    if value in _FALSE:
        return None
    raise _bad("compress", "'compress' must be true, false, gzip, br or zstd")


def parse_options(
    fields: dict[str, str], *, compression_default: str, metadata_max_bytes: int
) -> UploadOptions:
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise InvalidField(
            f"Unknown form field(s): {', '.join(unknown)}",
            code="UNKNOWN_FIELD",
            details={"fields": unknown, "allowed": list(FIELDS)},
        )
    policy = fields.get("retention_policy", "").strip().lower() or "temporary"
    if policy not in ("temporary", "permanent"):
        raise _bad("retention_policy", "'retention_policy' must be temporary or permanent")
    ttl_raw = fields.get("ttl_days", "").strip()
    ttl: int | None
    if policy == "permanent":
        if ttl_raw:
            raise _bad("ttl_days", "'ttl_days' applies to temporary files only")
        ttl = None
    elif not ttl_raw:
        ttl = DEFAULT_TTL_DAYS
    else:
        try:
            ttl = int(ttl_raw)
        except ValueError as exc:
            raise _bad("ttl_days", "'ttl_days' must be a whole number of days") from exc
        if not 1 <= ttl <= 365:
            raise _bad("ttl_days", "'ttl_days' must be between 1 and 365")
    compress_raw = fields.get("compress")
    return UploadOptions(
        retention_policy=policy,  # type: ignore[arg-type]
        ttl_days=ttl,
        description=_text("description", fields.get("description", ""), MAX_DESCRIPTION_CHARS),
        tags=_tags(fields.get("tags", "")),
        version=_text("version", fields.get("version", ""), MAX_VERSION_CHARS),
        custom=_metadata(fields.get("metadata", ""), metadata_max_bytes),
        retain_until=_retain_until(fields.get("retain_until", "")),
        retention_class=_text("retention_class", fields.get("retention_class", ""), 200),
        compression=(
            _compression(compress_raw, compression_default)
            if compress_raw is not None
            else (None if compression_default == "off" else compression_default)
        ),
    )
