"""Who may do what to a file: provenance from internal services only, retention within the
TTL bounds, changes by the owner (or ``storage:admin``). Refusals are logged as
``security.refused`` events and counted in ``artstore_se_refusals_total``."""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog

from artstore_common.auth import Principal
from artstore_common.auth.scopes import may_change_file
from artstore_common.contracts import TTL_DAYS_MAX, UploadAttributes
from storage_element.errors import InvalidAttributes, NotFileOwner, ProvenanceNotAllowed
from storage_element.metrics import REFUSALS

log = structlog.get_logger(__name__)

PROVENANCE_FIELDS = ("uploaded_by", "created_at", "expires_at")
CLOCK_SKEW = timedelta(minutes=5)


def _refuse(error: Exception, principal: Principal, operation: str, reason: str,
            **fields: object) -> Exception:
    REFUSALS.labels(operation, reason).inc()
    log.warning("security.refused", operation=operation, reason=reason,
                subject=principal.subject, client_id=principal.client_id, **fields)
    return error


def check_provenance(attrs: UploadAttributes, principal: Principal, now: datetime) -> None:
    claimed = [name for name in PROVENANCE_FIELDS if getattr(attrs, name) is not None]
    if claimed and not principal.internal:
        raise _refuse(ProvenanceNotAllowed(details={"fields": claimed}), principal, "upload",
                      "provenance", fields_claimed=claimed)
    created = attrs.created_at or now
    if created > now + CLOCK_SKEW:
        raise InvalidAttributes("created_at is in the future")
    if attrs.retention_policy == "temporary" and attrs.expires_at is not None and not (
            created < attrs.expires_at <= created + timedelta(days=TTL_DAYS_MAX)):
        raise InvalidAttributes(
            f"expires_at must fall within {TTL_DAYS_MAX} days after created_at",
            details={"created_at": created.isoformat(),
                     "expires_at": attrs.expires_at.isoformat()})


def check_owner(principal: Principal, attrs: dict, operation: str) -> None:
    owner = (attrs.get("uploaded_by") or {}).get("id")
    if not may_change_file(principal.scopes, principal.subject, owner):
        raise _refuse(NotFileOwner(details={"file_id": attrs.get("file_id")}), principal,
                      operation, "not_owner", file_id=attrs.get("file_id"))
