"""``POST /api/v1/auth/revocations``: stop a leaked access token (by ``jti``) or every token of
a subject, on every service within REVOCATION_POLL_SECONDS."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, model_validator

from admin_module.audit import service as audit
from admin_module.common import actor_of
from admin_module.deps import DbSession, Revocations
from artstore_common.auth import AccountsAdmin
from artstore_common.errors import ServiceUnavailable

router = APIRouter(prefix="/auth", tags=["auth"])


class RevocationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    jti: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[\w-]+$")
    subject: uuid.UUID | None = None
    reason: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _one_target(self) -> RevocationCreate:
        if (self.jti is None) == (self.subject is None):
            raise ValueError("give exactly one of 'jti' and 'subject'")
        return self


class RevocationRead(BaseModel):
    jti: str | None
    subject: uuid.UUID | None
    revoked: bool


@router.post("/revocations", response_model=RevocationRead, status_code=201)
async def revoke(body: RevocationCreate, principal: AccountsAdmin, session: DbSession,
                 revoker: Revocations) -> RevocationRead:
    if body.jti is not None:
        pushed = await revoker.revoke_token(body.jti, None, "auth.revocation")
    else:
        pushed = await revoker.revoke_subject(str(body.subject), "auth.revocation")
    await audit.record(session, action="auth.token_revoked", actor=actor_of(principal),
                       resource_type="access_token", resource_id=body.jti or str(body.subject),
                       outcome="success" if pushed else "failure",
                       details={"jti": body.jti, "subject": str(body.subject or ""),
                                "reason": body.reason})
    if not pushed:
        await session.commit()
        raise ServiceUnavailable("The revocation could not be pushed (Redis is unreachable)",
                                 code="REVOCATION_UNAVAILABLE", headers={"Retry-After": "5"})
    return RevocationRead(jti=body.jti, subject=body.subject, revoked=True)
