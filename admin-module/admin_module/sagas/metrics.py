"""Saga metrics."""

from __future__ import annotations

from prometheus_client import Counter

SAGAS = Counter("artstore_saga_total", "Sagas entering each state", ["type", "state"])
