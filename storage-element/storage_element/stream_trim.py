"""Bounded growth of ``artstore:file-events``: trim what every consumer group has acknowledged.

The storage elements write the stream, so they also keep it bounded: each SE's outbox relay
runs this script every ``SE_EVENTS_TRIM_INTERVAL_SECONDS``. The script runs atomically in Redis
(the group offsets it reads cannot move under it) and takes a lock key for the interval, so with
any number of SEs one trim happens per interval; a second run would find nothing to do anyway.

Two steps:
1. ``XTRIM MINID`` to the oldest entry that any group has not acknowledged (its oldest pending
   entry, else the one after its last-delivered id), and never past ``now - safety window``.
   An entry a group has not read, or still has pending, is never removed here.
2. ``XTRIM MAXLEN`` to the bound: a group (or a missing consumer) holding more than
   ``SE_EVENTS_MAX_ENTRIES`` entries is overtaken instead of holding Redis's memory forever. It
   is named in the ``<stream>:overtaken`` hash and recovers by re-indexing from the
   SEs (the query module does that on its own when it sees its group there).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import redis
import structlog

from artstore_common.contracts import stream_overtaken_key, stream_trim_lock_key
from storage_element.metrics import GROUP_BACKLOG, OVERTAKEN, STREAM_BOUND, STREAM_ENTRIES, TRIMMED

log = structlog.get_logger(__name__)


TRIM_SCRIPT = """
local stream, lock, overtaken = KEYS[1], KEYS[2], KEYS[3]
local clock = redis.call('TIME')  -- Redis's clock, the one entry ids are made from
local now_ms = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local safety_ms = tonumber(ARGV[1])
local max_entries, lock_ms = tonumber(ARGV[2]), tonumber(ARGV[3])
if redis.call('EXISTS', stream) == 0 then return {0, 0, 0, {}} end

local function parse(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end
local function less(a, b)
  local am, as = parse(a)
  local bm, bs = parse(b)
  return am < bm or (am == bm and as < bs)
end
local function fmt(ms, seq) return string.format('%.0f-%.0f', ms, seq) end

local first = redis.call('XRANGE', stream, '-', '+', 'COUNT', 1)
first = first[1] and first[1][1] or '0-0'
local groups = {}
for _, raw in ipairs(redis.call('XINFO', 'GROUPS', stream)) do
  local info = {}
  for i = 1, #raw, 2 do info[raw[i]] = raw[i + 1] end
  local pending = tonumber(info['pending'])
  -- bound: every id below it is read and acknowledged by this group. Pending entries that
  -- were already trimmed away do not count (the consumer acknowledges them when it sees them).
  local ms, seq = parse(info['last-delivered-id'])
  local bound = fmt(ms, seq + 1)
  if pending > 0 then
    local oldest = redis.call('XPENDING', stream, info['name'], first, '+', 1)
    if oldest[1] then bound = oldest[1][1] end
  end
  -- the oldest entry the group still needs, if any: only losing that one overtakes it
  local need = redis.call('XRANGE', stream, bound, '+', 'COUNT', 1)
  groups[#groups + 1] = {name = info['name'], bound = bound, need = need[1] and need[1][1],
                         pending = pending, lag = info['lag'], overtaken = 0}
end

local acked, capped = 0, 0
if redis.call('SET', lock, '1', 'NX', 'PX', lock_ms) then
  if #groups > 0 then
    local minid = fmt(now_ms - safety_ms, 0)
    for _, g in ipairs(groups) do
      if less(g.bound, minid) then minid = g.bound end
    end
    acked = redis.call('XTRIM', stream, 'MINID', minid)
  end
  capped = redis.call('XTRIM', stream, 'MAXLEN', max_entries)
  if capped > 0 then
    first = redis.call('XRANGE', stream, '-', '+', 'COUNT', 1)[1][1]
    for _, g in ipairs(groups) do
      if g.need and less(g.need, first) then
        redis.call('HSET', overtaken, g.name, first)
        g.overtaken = 1
      end
    end
  end
end
local len = redis.call('XLEN', stream)
local report = {}
for _, g in ipairs(groups) do
  local lag = g.lag and tonumber(g.lag) or len  -- unknown once entries were trimmed past it
  report[#report + 1] = {g.name, g.pending + lag, g.overtaken}
end
return {len, acked, capped, report}
"""


@dataclass
class TrimResult:
    length: int
    acknowledged: int  # removed because every group had acknowledged them
    over_bound: int  # removed by the bound
    backlog: dict[str, int] = field(default_factory=dict)
    overtaken: list[str] = field(default_factory=list)


class StreamTrimmer:
    def __init__(self, client: redis.Redis, stream: str, safety_seconds: float,
                 max_entries: int, interval_seconds: float) -> None:
        self.stream = stream
        self.safety_ms = int(safety_seconds * 1000)
        self.max_entries = max_entries
        # The lock lives a little less than the interval so the next round is never skipped.
        self.lock_ms = max(1, int(interval_seconds * 900))
        self._script = client.register_script(TRIM_SCRIPT)

    def trim(self) -> TrimResult:
        """Blocking (sync redis-py): call it from a thread."""
        keys = [self.stream, stream_trim_lock_key(self.stream), stream_overtaken_key(self.stream)]
        length, acked, capped, report = self._script(
            keys=keys,
            args=[self.safety_ms, self.max_entries, self.lock_ms],
        )
        result = TrimResult(length=length, acknowledged=acked, over_bound=capped)
        for raw_name, backlog, overtaken in report:
            name = raw_name.decode() if isinstance(raw_name, bytes) else raw_name
            result.backlog[name] = backlog
            GROUP_BACKLOG.labels(name).set(backlog)
            if overtaken:
                result.overtaken.append(name)
                OVERTAKEN.labels(name).inc()
        STREAM_ENTRIES.set(length)
        STREAM_BOUND.set(self.max_entries)
        TRIMMED.labels("acknowledged").inc(acked)
        TRIMMED.labels("bound").inc(capped)
        if capped:
            log.warning("events.stream_over_bound", removed=capped, bound=self.max_entries,
                        overtaken=result.overtaken)
        elif acked:
            log.info("events.stream_trimmed", removed=acked, length=length)
        return result
