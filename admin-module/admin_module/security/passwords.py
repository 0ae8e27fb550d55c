"""The password policy for admin users (pure, unit-tested)."""

from __future__ import annotations

from admin_module.runtime_secrets import KNOWN_DEFAULTS

MAX_PASSWORD_LENGTH = 256
# Unicode-aware character classes, so Cyrillic passwords are judged like Latin ones.
_CLASSES = (str.islower, str.isupper, str.isdigit, lambda c: not c.isalnum())


def password_problems(password: str, *, username: str | None, min_length: int) -> list[str]:
    """Every rule the password breaks (empty when it is acceptable)."""
    problems = []
    if len(password) < min_length:
        problems.append(f"at least {min_length} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(f"at most {MAX_PASSWORD_LENGTH} characters")
    classes = sum(1 for test in _CLASSES if any(test(c) for c in password))
    if classes < 3:
        problems.append("at least three of: lower case, upper case, digits, other characters")
    if username and len(username) >= 3 and username.lower() in password.lower():
        problems.append("must not contain the username")
    if password.strip().lower() in KNOWN_DEFAULTS:
        problems.append("must not be a well-known default")
    return problems
