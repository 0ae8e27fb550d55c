"""Small helpers shared by the identity domains."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

from artstore_common.auth import Principal
from artstore_common.validation import SAFE_TEXT


def actor_of(principal: Principal) -> str:
    """The audit ``actor``: the client id of a service account, else the user name."""
    return principal.client_id or principal.name or principal.subject


def like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128), SAFE_TEXT
]
Description = Annotated[str, StringConstraints(max_length=1000), SAFE_TEXT]
SearchText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128), SAFE_TEXT
]
