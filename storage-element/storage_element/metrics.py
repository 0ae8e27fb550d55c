"""Every metric the storage element defines (HTTP metrics come from artstore_common)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

# checksum checks (reads and the fixity scrubber)
FIXITY_RESULTS = Counter("artstore_se_fixity_results_total", "Checksum checks by outcome",
                         ["source", "outcome"])

# uploads
UPLOADS = Counter("artstore_se_uploads_total", "Uploads by outcome", ["outcome"])
UPLOAD_BYTES = Counter("artstore_se_upload_bytes_total", "Original bytes stored")

# the shared file-event stream
STREAM_ENTRIES = Gauge("artstore_se_event_stream_entries", "Entries in the file-event stream")
STREAM_BOUND = Gauge(
    "artstore_se_event_stream_max_entries", "The bound beyond which a consumer group is overtaken"
)
GROUP_BACKLOG = Gauge(
    "artstore_se_event_stream_group_backlog",
    "Stream entries a consumer group has not acknowledged (pending + not yet read)", ["group"],
)
TRIMMED = Counter(
    "artstore_se_event_stream_trimmed_total",
    "Stream entries removed: acknowledged by every group, or over the bound", ["reason"],
)
OVERTAKEN = Counter(
    "artstore_se_event_stream_overtaken_total",
    "Trims that removed entries a consumer group had not acknowledged (it must re-index)",
    ["group"],
)

# refusals
REFUSALS = Counter("artstore_se_refusals_total", "Requests refused for want of rights",
                   ["operation", "reason"])

# state refreshed by the background loop
CONSISTENCY_ISSUES = Gauge("artstore_se_consistency_issues", "Issues in the last report", ["kind"])
SE_USED = Gauge("artstore_se_used_bytes", "Bytes stored")
SE_CAPACITY = Gauge("artstore_se_capacity_bytes", "Configured capacity")
SE_MODE = Gauge("artstore_se_mode", "1 for the SE's current mode, 0 for the others", ["mode"])
WAL_PENDING = Gauge("artstore_se_wal_pending", "WAL intents not yet committed or rolled back")

# the outbox
OUTBOX_BACKLOG = Gauge("artstore_se_outbox_backlog", "Events not yet relayed to Redis")
