"""Typed errors of the admin module (rendered by artstore_common's one error handler)."""

from __future__ import annotations

from typing import Any

from artstore_common.errors import (
    ArtStoreError,
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    TooManyRequests,
    Unauthorized,
    ValidationFailed,
)

__all__ = [
    "AccountLocked",
    "ArtStoreError",
    "BadRequest",
    "Conflict",
    "Forbidden",
    "InvalidCredentials",
    "NotFound",
    "OAuthError",
    "PasswordPolicyViolation",
    "SecretReused",
    "SystemAccountProtected",
    "TooManyRequests",
    "Unauthorized",
    "ValidationFailed",
]


class AccountNotFound(NotFound):
    code, message = "ACCOUNT_NOT_FOUND", "Account not found"


class UserNotFound(NotFound):
    code, message = "USER_NOT_FOUND", "Admin user not found"


class InvalidCredentials(Unauthorized):
    code, message = "INVALID_CREDENTIALS", "Invalid username or password"


class InvalidRefreshToken(Unauthorized):
    code, message = "INVALID_REFRESH_TOKEN", "The refresh token is invalid or expired"


class AccountLocked(ArtStoreError):
    status_code, code, message = 423, "ACCOUNT_LOCKED", "Account locked after too many failures"


class AccountDisabled(Forbidden):
    code, message = "ACCOUNT_DISABLED", "The account is disabled"


class SystemAccountProtected(Forbidden):
    code = "SYSTEM_ACCOUNT_PROTECTED"
    message = "System accounts cannot be deleted, demoted or disabled"


class PasswordPolicyViolation(ValidationFailed):
    code, message = "PASSWORD_POLICY", "The password does not meet the password policy"


class SecretReused(ValidationFailed):
    code, message = "SECRET_REUSED", "The secret was used recently and cannot be reused"


class DuplicateName(Conflict):
    code, message = "ALREADY_EXISTS", "An item with this name already exists"


class OAuthError(Exception):
    """An RFC 6749 §5.2 error: rendered as ``{"error", "error_description"}`` by the token route."""

    def __init__(
        self,
        error: str,
        description: str,
        status_code: int = 400,
        headers: dict[str, str] | None = None,
        reason: str | None = None,
    ) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status_code = status_code
        self.headers = headers or {}
        self.reason = reason or error

    def body(self) -> dict[str, Any]:
        return {"error": self.error, "error_description": self.description}
