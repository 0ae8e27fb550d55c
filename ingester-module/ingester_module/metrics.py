"""Ingest domain metrics."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

UPLOADS = Counter("artstore_ingest_uploads_total", "Uploads by outcome", ["result"])
BYTES = Counter("artstore_ingest_bytes_total", "Original bytes stored through the ingester")
DURATION = Histogram(
    "artstore_ingest_upload_duration_seconds",
    "Upload duration by file size bucket",
    ["size_bucket"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
)
COMPRESSION_RATIO = Histogram(
    "artstore_ingest_compression_ratio",
    "stored_size / size of files stored compressed",
    buckets=(0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
)
PLACEMENT_FAILURES = Counter(
    "artstore_ingest_placement_failures_total",
    "Storage elements skipped or failed during placement, by reason",
    ["reason"],
)

COPIES_WRITTEN = Histogram(
    "artstore_ingest_copies_written", "Durable copies of a file when its upload was answered",
    buckets=(1, 2, 3, 4, 6, 8),
)
COPIES_MADE = Counter(
    "artstore_ingest_copies_made_total",
    "Copies made during uploads: streamed from the upload (tee) or copied SE to SE",
    ["how"],
)
_SIZE_BUCKETS = ((1 << 20, "lt_1mib"), (10 << 20, "lt_10mib"), (100 << 20, "lt_100mib"))


def size_bucket(size: int) -> str:
    for limit, label in _SIZE_BUCKETS:
        if size < limit:
            return label
    return "ge_100mib"
