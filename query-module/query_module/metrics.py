"""Domain metrics of the query module."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

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
STREAM_OVERTAKEN = Gauge(
    "artstore_query_stream_overtaken",
    "1 while a stream trim has overtaken the consumer group and the re-index has not completed",
)
STREAM_OVERTAKEN_TOTAL = Counter(
    "artstore_query_stream_overtakes_total",
    "Times the consumer group was found overtaken by a stream trim (events lost, re-index run)",
)
SEARCHES = Counter("artstore_query_searches_total", "Searches by mode", ["mode"])
DOWNLOADS = Counter("artstore_query_downloads_total", "Downloads by result", ["result"])
DOWNLOAD_BYTES = Counter("artstore_query_download_bytes_total", "Bytes streamed to clients")
DRIFT = Counter(
    "artstore_query_catalog_drift_total",
    "Catalog rows found out of step with their storage element",
    ["kind"],
)
CATALOG_MISS = Counter(
    "artstore_query_catalog_miss_total",
    "Reads by id the catalog did not know yet, looked up on the SEs, by result",
    ["result"],  # found | not_found | unavailable | known_unknown (answered from memory)
)
CACHE = Counter(
    "artstore_query_metadata_cache_total",
    "Metadata cache lookups (hit, miss) and invalidations Redis did not take (invalidation_failed)",
    ["layer", "result"],
)
REINDEX_FILES = Counter(
    "artstore_query_reindex_files_total", "Files seen by re-index, by outcome", ["result"]
)
TEXT_EXTRACTIONS = Counter(
    "artstore_query_text_extractions_total", "Document text extractions by final state",
    ["state"],
)
TEXT_PENDING = Gauge("artstore_query_text_pending", "Files whose text is not extracted yet")
TEXT_DURATION = Histogram(
    "artstore_query_text_extraction_duration_seconds",
    "Download + extraction time of one document",
    buckets=(0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
DOWNLOAD_DURATION = Histogram(
    "artstore_query_download_duration_seconds",
    "Duration of complete downloads (first byte from the SE to last byte out) by file size",
    ["size_bucket"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
)

DOWNLOAD_FAILOVERS = Counter(
    "artstore_query_download_failovers_total",
    "Copies skipped by a download before one answered, by reason", ["reason"])
_SIZE_BUCKETS = ((1 << 20, "lt_1mib"), (10 << 20, "lt_10mib"), (100 << 20, "lt_100mib"))


def size_bucket(size: int) -> str:
    """The ingester's buckets, so upload and download durations line up on a dashboard."""
    for limit, label in _SIZE_BUCKETS:
        if size < limit:
            return label
    return "ge_100mib"


for _state in ("done", "failed", "skipped"):
    TEXT_EXTRACTIONS.labels(_state)
for _label in (*(label for _, label in _SIZE_BUCKETS), "ge_100mib"):
    DOWNLOAD_DURATION.labels(_label)  # every series is exported from the start
