"""Strict input rules every service applies before a value reaches storage.

PostgreSQL cannot store U+0000 or unpaired surrogates, BIGINT stops at 2**63-1, and JSON that
Python parses leniently (``NaN``, ``1e999`` → inf, thousands of nesting levels) cannot be
stored or serialised again. Each rule turns such input into a 4xx instead of a failure deep
inside the database driver or an encoder.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

INT64_MAX = 2**63 - 1
MAX_OFFSET = 2**31 - 1
MAX_JSON_DEPTH = 32

_INTEGER = re.compile(r"^\s*[-+]?\d+\s*$")
_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")


class UnsafeJson(ValueError):
    """JSON that parses in Python but cannot be stored faithfully."""


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored, or None."""
    if "\x00" in text:
        return "must not contain NUL characters"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode (no unpaired surrogates)"
    return None


def _safe_text(value: str) -> str:
    problem = text_problem(value)
    if problem:
        raise ValueError(f"text {problem}")
    return value


def check_json(value: Any, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Walks a parsed JSON value (iteratively: depth is what is being limited)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth >= max_depth:
                raise UnsafeJson(f"JSON is nested deeper than {max_depth} levels")
            children = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in children:
                if isinstance(key, str):
                    _check_text(key)
                stack.append((child, depth + 1))
        elif isinstance(item, str):
            _check_text(item)
        elif isinstance(item, float) and not math.isfinite(item):
            raise UnsafeJson("JSON numbers must be finite (no NaN or Infinity)")
    return value


def _check_text(text: str) -> None:
    problem = text_problem(text)
    if problem:
        raise UnsafeJson(f"JSON text {problem}")


def _reject_constant(name: str) -> Any:
    raise UnsafeJson(f"JSON numbers must be finite ({name} is not allowed)")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise UnsafeJson("JSON numbers must be finite (out of range)")
    return value


def loads_json(raw: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` without NaN/Infinity/overflowing numbers; every failure is a ValueError."""
    try:
        value = json.loads(raw, parse_constant=_reject_constant, parse_float=_finite_float)
    except RecursionError as exc:
        raise UnsafeJson(f"JSON is nested deeper than {max_depth} levels") from exc
    return check_json(value, max_depth=max_depth)


def _integer_only(value: Any) -> Any:
    # Lax pydantic turns false into 0 and 2.0 into 2; a query or body field must say a number.
    if isinstance(value, bool | float) or (isinstance(value, str) and not _INTEGER.match(value)):
        raise ValueError("must be an integer")
    return value


def _datetime_only(value: Any) -> Any:
    # Lax pydantic reads numbers (0.5, "1700000000") as Unix times; only ISO 8601 is accepted.
    if isinstance(value, bool | int | float) or (
        isinstance(value, str) and _NUMBER.match(value)
    ):
        raise ValueError("must be an ISO 8601 date-time")
    return value


# Put SAFE_TEXT after StringConstraints: `Annotated[str, StringConstraints(...), SAFE_TEXT]`.
SAFE_TEXT = AfterValidator(_safe_text)
SafeStr = Annotated[str, SAFE_TEXT]
StrictInt = Annotated[int, BeforeValidator(_integer_only)]
IsoDateTime = Annotated[datetime, BeforeValidator(_datetime_only)]
JsonObject = Annotated[dict[str, Any], AfterValidator(check_json)]
