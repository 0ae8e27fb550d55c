"""Discovery metrics: publishing, and the registry it publishes (SE capacity, mode, status)."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import Counter, Gauge

SE_CAPACITY = Gauge(
    "artstore_storage_element_capacity_bytes", "Capacity of a storage element",
    ["storage_element", "name"],
)
SE_USED = Gauge(
    "artstore_storage_element_used_bytes", "Bytes used on a storage element",
    ["storage_element", "name"],
)
SE_MODE = Gauge(
    "artstore_storage_element_mode", "1 for the storage element's current mode",
    ["storage_element", "name", "mode"],
)
SE_STATUS = Gauge(
    "artstore_storage_element_status", "1 for the storage element's current health status",
    ["storage_element", "name", "status"],
)
DISCOVERY_PUBLISH = Counter(
    "artstore_discovery_publish_total", "Discovery document publications by outcome", ["outcome"]
)

MODES = ("edit", "rw", "ro", "ar")
STATUSES = ("online", "degraded", "offline")


def export_storage_elements(elements: Iterable[object]) -> None:
    for se in elements:
        sid, name = str(se.id), se.name  # type: ignore[attr-defined]
        SE_CAPACITY.labels(sid, name).set(se.capacity_bytes)  # type: ignore[attr-defined]
        SE_USED.labels(sid, name).set(se.used_bytes)  # type: ignore[attr-defined]
        for mode in MODES:
            SE_MODE.labels(sid, name, mode).set(1 if se.mode == mode else 0)  # type: ignore[attr-defined]
        for status in STATUSES:
            SE_STATUS.labels(sid, name, status).set(1 if se.status == status else 0)  # type: ignore[attr-defined]
