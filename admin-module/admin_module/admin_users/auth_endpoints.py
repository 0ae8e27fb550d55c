from __future__ import annotations

from fastapi import APIRouter, Request, Response

from admin_module.admin_users.dependencies import AuthService, CurrentAdminDep, UsersService
from admin_module.admin_users.schemas import (
    AdminUserRead,
    ChangePasswordRequest,
    LoginRequest,
    LoginResponse,
    LogoutRequest,
    RefreshRequest,
)
from admin_module.deps import DbSession, Revocations

router = APIRouter(prefix="/admin-auth", tags=["admin-auth"])


def _login_response(tokens, response: Response) -> LoginResponse:
    response.headers["Cache-Control"] = "no-store"
    return LoginResponse(access_token=tokens.access_token, refresh_token=tokens.refresh_token,
                         expires_in=tokens.expires_in,
                         refresh_expires_in=tokens.refresh_expires_in)


@router.post("/login", response_model=LoginResponse)
async def login(body: LoginRequest, request: Request, response: Response,
                auth: AuthService) -> LoginResponse:
    client_ip = request.client.host if request.client else "unknown"
    tokens = await auth.login(body.username, body.password, client_ip)
    return _login_response(tokens, response)


@router.post("/refresh", response_model=LoginResponse)
async def refresh(body: RefreshRequest, response: Response, auth: AuthService) -> LoginResponse:
    return _login_response(await auth.refresh(body.refresh_token), response)


@router.post("/logout", status_code=204)
async def logout(current: CurrentAdminDep, session: DbSession, auth: AuthService,
                 revoker: Revocations, body: LogoutRequest | None = None) -> Response:
    body = body or LogoutRequest(all_sessions=True)
    all_sessions = body.all_sessions or body.refresh_token is None
    await auth.logout(session, current.user.id, current.user.username, body.refresh_token,
                      all_sessions)
    if all_sessions:
        await revoker.revoke_subject(str(current.user.id), "admin_auth.logout")
    else:  # this session's access token; the user's other sessions keep theirs
        claims = current.principal.claims
        await revoker.revoke_token(str(claims.get("jti")), claims.get("exp"), "admin_auth.logout")
    return Response(status_code=204)


@router.get("/me", response_model=AdminUserRead)
async def me(current: CurrentAdminDep) -> AdminUserRead:
    return AdminUserRead.model_validate(current.user)


@router.post("/change-password", status_code=204)
async def change_password(body: ChangePasswordRequest, current: CurrentAdminDep,
                          users: UsersService) -> Response:
    await users.change_own_password(current.user, body.current_password, body.new_password)
    return Response(status_code=204)
