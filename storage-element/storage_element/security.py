"""Who may do what to a file: provenance from internal services only, retention within the
TTL bounds, changes by the owner (or ``storage:admin``). Refusals are logged as
``security.refused`` events and counted in ``artstore_se_refusals_total``; every 401/403/429
answer is also aggregated by ``RefusalReporter`` and reported to the admin module's audit chain
(``contracts.REFUSALS_STREAM``)."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta

import redis
import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from artstore_common.auth import Principal
from artstore_common.auth.scopes import FILES_REPLICATE, RECORDS_WRITE, may_change_file
from artstore_common.contracts import (
    REFUSALS_STREAM,
    TTL_DAYS_MAX,
    RefusalReport,
    UploadAttributes,
)
from artstore_common.errors import ArtStoreError, error_response
from storage_element.errors import InvalidAttributes, NotFileOwner, ProvenanceNotAllowed
from storage_element.metrics import REFUSALS
from storage_element.naming import now_utc

log = structlog.get_logger(__name__)

PROVENANCE_FIELDS = ("uploaded_by", "created_at", "expires_at", "legal_holds", "retain_until",
                     "retention_class")
RECORDS_FIELDS = ("retain_until", "retention_class")  # also for records:write holders
VOUCHED_FIELDS = ("created_at", "uploaded_by")  # also with a files:replicate voucher
CLOCK_SKEW = timedelta(minutes=5)


def _refuse(error: Exception, principal: Principal, operation: str, reason: str,
            **fields: object) -> Exception:
    REFUSALS.labels(operation, reason).inc()
    log.warning("security.refused", operation=operation, reason=reason,
                subject=principal.subject, client_id=principal.client_id, **fields)
    return error


def vouched_fields(attrs: UploadAttributes, principal: Principal,
                   voucher: Principal | None) -> tuple[str, ...]:
    """A replicating service that tees one upload to several SEs states the same
    ``created_at``/``uploaded_by`` to each, but only as the caller: ``uploaded_by.id`` must be
    the subject of the caller's own (verified) token."""
    if voucher is None or not voucher.has(FILES_REPLICATE):
        return ()
    if attrs.uploaded_by is not None and attrs.uploaded_by.id != principal.subject:
        return ()
    return VOUCHED_FIELDS


def check_provenance(attrs: UploadAttributes, principal: Principal, now: datetime,
                     voucher: Principal | None = None) -> None:
    vouched = vouched_fields(attrs, principal, voucher)
    claimed = [name for name in PROVENANCE_FIELDS if getattr(attrs, name) is not None
               and not (name in RECORDS_FIELDS and principal.has(RECORDS_WRITE))
               and name not in vouched]
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


REPORTED_STATUSES = (401, 403, 429)
REPORT_INTERVAL_SECONDS = 10.0
REFUSALS_STREAM_MAXLEN = 10_000


class RefusalReporter:
    """Counts refused requests in memory and sends one ``RefusalReport`` per alike group each
    interval, so a burst of thousands becomes a handful of audit entries (the admin module
    audits its own 429s once per window the same way)."""

    def __init__(self, redis_url: str, service: str, instance: str) -> None:
        self._redis = redis.Redis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=3)
        self.service, self.instance = service, instance
        self._pending: dict[tuple, list] = {}
        self._lock = threading.Lock()

    def note(self, status: int, code: str, operation: str, source: str | None,
             subject: str | None, now: datetime) -> None:
        key = (status, code, operation, source, subject)
        with self._lock:
            entry = self._pending.setdefault(key, [0, now, now])
            entry[0] += 1
            entry[2] = now

    def flush(self) -> int:
        """Blocking (call on a thread). Groups that could not be sent are kept for next time."""
        with self._lock:
            pending, self._pending = self._pending, {}
        if not pending:
            return 0
        reports = [RefusalReport(
            service=self.service, instance=self.instance, status=status, code=code,
            operation=operation, source=source, subject=subject, count=count,
            first_at=first, last_at=last)
            for (status, code, operation, source, subject), (count, first, last)
            in pending.items()]
        try:
            pipe = self._redis.pipeline(transaction=False)
            for report in reports:
                pipe.xadd(REFUSALS_STREAM, {"data": json.dumps(report.model_dump(mode="json"))},
                          maxlen=REFUSALS_STREAM_MAXLEN, approximate=True)
            pipe.execute()
        except redis.RedisError as exc:
            with self._lock:
                for key, (count, first, last) in pending.items():
                    entry = self._pending.setdefault(key, [0, first, last])
                    entry[0] += count
                    entry[1] = min(entry[1], first)
            log.warning("security.refusals_not_reported", groups=len(pending), error=str(exc))
            return 0
        return len(reports)

    def close(self) -> None:
        self._redis.close()


def install_refusal_reporting(app: FastAPI) -> None:
    """Wraps the common ``ArtStoreError`` handler: 401/403/429 answers are noted first."""

    async def handler(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ArtStoreError)
        reporter: RefusalReporter | None = getattr(request.app.state, "refusals", None)
        if reporter is not None and exc.status_code in REPORTED_STATUSES:
            route = request.scope.get("route")
            principal = getattr(request.state, "principal", None)
            reporter.note(exc.status_code, exc.code,
                          f"{request.method} {getattr(route, 'path', request.url.path)}",
                          request.client.host if request.client else None,
                          principal.subject if principal is not None else None, now_utc())
        return error_response(exc.status_code, exc.code, exc.message, exc.details, exc.headers)

    app.add_exception_handler(ArtStoreError, handler)
