"""Domain metrics of the query module."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

EVENTS = Counter(
    "artstore_query_events_total", "File events consumed, by type and outcome", ["type", "result"]
)
INDEX_LAG = Gauge(
    "artstore_query_index_lag_seconds",
    "Age of the oldest stream entry not yet applied to the catalog (0 when caught up)",
)
EVENTS_PENDING = Gauge(
    "artstore_query_events_backlog", "Stream entries not yet applied", ["state"]
)
LAST_EVENT = Gauge(
    "artstore_query_last_applied_event_timestamp_seconds",
    "occurred_at of the last event applied to the catalog",
)
SEARCHES = Counter("artstore_query_searches_total", "Searches by mode", ["mode"])
DOWNLOADS = Counter("artstore_query_downloads_total", "Downloads by result", ["result"])
DOWNLOAD_BYTES = Counter("artstore_query_download_bytes_total", "Bytes streamed to clients")
DRIFT = Counter(
    "artstore_query_catalog_drift_total",
    "Catalog rows found out of step with their storage element",
    ["kind"],
)
CACHE = Counter(
    "artstore_query_metadata_cache_total", "Metadata cache lookups", ["layer", "result"]
)
REINDEX_FILES = Counter(
    "artstore_query_reindex_files_total", "Files seen by re-index, by outcome", ["result"]
)
