from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from admin_module.db import DbSession
from admin_module.keys import repository
from admin_module.keys.schemas import KeyStatusRead, RotationRead, SigningKeyRead
from admin_module.keys.service import KeyManager
from admin_module.models.base import utcnow
from admin_module.models.signing_key import SigningKey
from artstore_common.app import from_state
from artstore_common.auth import KeysAdmin
from artstore_common.errors import ServiceUnavailable
from artstore_common.pagination import Page, Paging

router = APIRouter(prefix="/jwt-keys", tags=["jwt-keys"])
jwks_router = APIRouter(tags=["auth"])
well_known_router = APIRouter(tags=["auth"])

Keys = Annotated[KeyManager, Depends(from_state("keys"))]




def _read(key: SigningKey, now: datetime) -> SigningKeyRead:
    if key.retired_at is None and key.activated_at is None:
        status = "next"
    elif key.retired_at is None:
        status = "active"
    elif key.publish_until and key.publish_until > now:
        status = "published"
    else:
        status = "expired"
    return SigningKeyRead(
        kid=key.kid, algorithm=key.algorithm, status=status, created_at=key.created_at,
        activated_at=key.activated_at,
        retired_at=key.retired_at, publish_until=key.publish_until, reason=key.reason,
        created_by=key.created_by,
    )


async def _jwks(keys: Keys) -> JSONResponse:
    document = await keys.jwks()
    return JSONResponse(document, headers={"Cache-Control": "public, max-age=60"})


jwks_router.add_api_route("/auth/jwks", _jwks, methods=["GET"], summary="JSON Web Key Set")
well_known_router.add_api_route("/.well-known/jwks.json", _jwks, methods=["GET"],
                                summary="JSON Web Key Set")


@router.post("/rotate", response_model=RotationRead)
async def rotate(principal: KeysAdmin, session: DbSession, keys: Keys) -> RotationRead:
    result = await keys.rotate(session, reason="manual", actor=principal.name or principal.subject)
    keys.forget_cache()
    return RotationRead(kid=result.kid, previous_kid=result.previous_kid,
                        previous_publish_until=result.previous_publish_until)


@router.get("/status", response_model=KeyStatusRead)
async def status(principal: KeysAdmin, session: DbSession, keys: Keys) -> KeyStatusRead:
    now = utcnow()
    published = await repository.published_keys(session, now)
    active = next((k for k in published if k.retired_at is None and k.activated_at), None)
    upcoming = next((k for k in published if k.retired_at is None and not k.activated_at), None)
    if active is None:
        raise ServiceUnavailable("No active signing key", code="NO_SIGNING_KEY")
    interval = keys.settings.JWT_ROTATION_INTERVAL_HOURS
    return KeyStatusRead(
        active_kid=active.kid, active_created_at=active.created_at,
        active_since=active.activated_at, next_kid=upcoming.kid if upcoming else None,
        next_rotation_at=(active.activated_at or active.created_at) + timedelta(hours=interval),
        rotation_interval_hours=interval,
        access_token_ttl_seconds=keys.settings.ACCESS_TOKEN_TTL_SECONDS,
        published=[_read(k, now) for k in published],
    )


@router.get("/history", response_model=Page[SigningKeyRead])
async def history(principal: KeysAdmin, session: DbSession, paging: Paging) -> Page[SigningKeyRead]:
    rows, total = await repository.history(session, paging.limit, paging.offset)
    now = utcnow()
    return Page(items=[_read(k, now) for k in rows], total=total, limit=paging.limit,
                offset=paging.offset)
