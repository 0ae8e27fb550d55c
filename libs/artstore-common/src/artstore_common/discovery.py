"""Storage-element discovery for ingester and query: Redis key + pub/sub, on its own thread.

The synchronous redis-py client runs on a daemon thread, never on the event loop. The thread
subscribes to ``DISCOVERY_CHANNEL`` and re-reads ``DISCOVERY_KEY`` after every notice, on a
timer (a lost notice is caught up by the timer) and after every reconnect (a change made
while Redis or the connection was down is picked up as soon as it is back). Each new version
is written atomically to a fallback file, which seeds the view at start, so a service keeps
routing with the last good copy while Redis is unreachable. Readers get an immutable snapshot
without blocking: ``current()`` only swaps a reference under a short lock.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from uuid import UUID

import redis
import structlog
from pydantic import ValidationError

from artstore_common.contracts import (
    DISCOVERY_CHANNEL,
    DISCOVERY_KEY,
    DiscoveredStorageElement,
    DiscoveryDocument,
    Mode,
)

log = structlog.get_logger("artstore.discovery")

Source = Literal["redis", "fallback"]
OnChange = Callable[[DiscoveryDocument], Any]


def write_atomically(path: Path, data: bytes) -> None:
    """temp file → fsync → rename → fsync of the directory: a crash leaves old or new."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def writable_of(doc: DiscoveryDocument | None, mode: Mode) -> list[DiscoveredStorageElement]:
    """Online, non-draining SEs of ``mode``, lowest priority number first."""
    if doc is None:
        return []
    found = [
        se for se in doc.storage_elements
        if se.mode == mode and se.status == "online" and not se.draining
    ]
    return sorted(found, key=lambda se: (se.priority, se.name, str(se.id)))


class DiscoveryClient:
    def __init__(
        self,
        redis_url: str,
        fallback_path: str | os.PathLike[str] | None,
        refresh_interval: float = 30.0,
        *,
        on_change: OnChange | None = None,
        key: str = DISCOVERY_KEY,
        channel: str = DISCOVERY_CHANNEL,
        socket_timeout: float = 5.0,
        reconnect_min: float = 0.5,
        reconnect_max: float = 30.0,
    ) -> None:
        self.redis_url = redis_url
        self.fallback_path = Path(fallback_path) if fallback_path else None
        self.refresh_interval = refresh_interval
        self.on_change = on_change
        self.key = key
        self.channel = channel
        self.socket_timeout = socket_timeout
        self.reconnect_min = reconnect_min
        self.reconnect_max = reconnect_max
        self._doc: DiscoveryDocument | None = None
        self._source: Source | None = None
        self._last_updated: datetime | None = None
        self._connected = False
        # Re-entrant: a wait_for predicate may call current()/get() while the lock is held.
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # ---- lifecycle -----------------------------------------------------------------------
    def start(self) -> None:
        """Seed from the fallback file, then follow Redis on a daemon thread.

        Reads the fallback file synchronously (one small file); call it from a thread or
        accept that cost once at startup.
        """
        if self._thread is not None:
            return
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None
        self._load_fallback()
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, name="artstore-discovery", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout if timeout is not None else self.socket_timeout + 2)

    # ---- readers (any thread, never block) -----------------------------------------------
    def current(self) -> DiscoveryDocument | None:
        with self._lock:
            return self._doc

    @property
    def version(self) -> int | None:
        doc = self.current()
        return doc.version if doc else None

    @property
    def last_updated(self) -> datetime | None:
        """When the view was last confirmed against Redis (None: never, fallback only)."""
        return self._last_updated

    @property
    def source(self) -> Source | None:
        return self._source

    @property
    def connected(self) -> bool:
        return self._connected

    def writable(self, mode: Mode) -> list[DiscoveredStorageElement]:
        return writable_of(self.current(), mode)

    def get(self, se_id: UUID | str) -> DiscoveredStorageElement | None:
        doc = self.current()
        if doc is None:
            return None
        wanted = str(se_id)
        return next((se for se in doc.storage_elements if str(se.id) == wanted), None)

    def wait_for(
        self, predicate: Callable[[DiscoveryDocument | None], bool], timeout: float
    ) -> bool:
        """Block (a thread, never the loop) until ``predicate(current())`` holds."""
        with self._changed:
            return self._changed.wait_for(lambda: predicate(self._doc), timeout)

    # ---- the thread ----------------------------------------------------------------------
    def _run(self) -> None:
        backoff = self.reconnect_min
        while not self._stop.is_set():
            client: redis.Redis | None = None
            pubsub: Any = None
            try:
                client = redis.Redis.from_url(
                    self.redis_url,
                    socket_timeout=self.socket_timeout,
                    socket_connect_timeout=self.socket_timeout,
                    health_check_interval=max(1, int(self.refresh_interval)),
                )
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(self.channel)
                self._refresh(client)  # resync on every (re)connect
                if not self._connected:
                    log.info("discovery.connected", version=self.version)
                self._connected = True
                backoff = self.reconnect_min
                self._follow(client, pubsub)
            except (redis.RedisError, OSError) as exc:
                if self._connected or backoff == self.reconnect_min:
                    log.warning(
                        "discovery.redis_unavailable",
                        error=f"{type(exc).__name__}: {exc}",
                        serving_version=self.version,
                        source=self._source,
                    )
                self._connected = False
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self.reconnect_max)
            except Exception:
                log.exception("discovery.thread_error")
                self._connected = False
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self.reconnect_max)
            finally:
                for closable in (pubsub, client):
                    try:
                        if closable is not None:
                            closable.close()
                    except Exception:  # noqa: BLE001 - closing a dead connection
                        pass
        self._connected = False

    def _follow(self, client: redis.Redis, pubsub: Any) -> None:
        next_refresh = time.monotonic() + self.refresh_interval
        while not self._stop.is_set():
            wait = max(0.0, min(1.0, next_refresh - time.monotonic()))
            message = pubsub.get_message(timeout=wait)
            if message is not None and message.get("type") == "message":
                self._refresh(client)
                next_refresh = time.monotonic() + self.refresh_interval
            elif time.monotonic() >= next_refresh:
                self._refresh(client)
                next_refresh = time.monotonic() + self.refresh_interval

    def _refresh(self, client: redis.Redis) -> None:
        raw = client.get(self.key)
        if raw is None:
            # The admin module republishes periodically; an absent key (TTL ran out while it
            # was down) is no reason to forget the SEs we know.
            log.debug("discovery.key_missing", key=self.key)
            return
        try:
            doc = DiscoveryDocument.model_validate_json(raw)
        except ValidationError as exc:
            log.warning("discovery.bad_document", error=str(exc)[:300])
            return
        self._last_updated = datetime.now(UTC)
        self._apply(doc, "redis", persist=True)

    # ---- state ---------------------------------------------------------------------------
    def _apply(self, doc: DiscoveryDocument, source: Source, *, persist: bool) -> None:
        # Only the discovery thread (or start(), before it exists) calls this: no racing writer.
        previous = self.current()
        changed = previous is None or (
            previous.version != doc.version or previous.storage_elements != doc.storage_elements
        )
        if changed and persist:
            self._save_fallback(doc)  # on disk before anyone can see it in memory
        with self._changed:
            if changed:
                self._doc = doc
            self._source = source
            self._changed.notify_all()
        if not changed:
            return
        log.info(
            "discovery.updated",
            version=doc.version,
            previous=previous.version if previous else None,
            storage_elements=len(doc.storage_elements),
            source=source,
        )
        self._notify(doc)

    def _notify(self, doc: DiscoveryDocument) -> None:
        if self.on_change is None:
            return
        try:
            if inspect.iscoroutinefunction(self.on_change):
                if self._loop is not None and not self._loop.is_closed():
                    asyncio.run_coroutine_threadsafe(self.on_change(doc), self._loop)
            else:
                self.on_change(doc)
        except Exception:
            log.exception("discovery.on_change_failed")

    def _save_fallback(self, doc: DiscoveryDocument) -> None:
        if self.fallback_path is None:
            return
        try:
            write_atomically(self.fallback_path, doc.model_dump_json(indent=2).encode())
        except OSError as exc:
            log.warning("discovery.fallback_write_failed", path=str(self.fallback_path),
                        error=str(exc))

    def _load_fallback(self) -> None:
        if self.fallback_path is None or not self.fallback_path.exists():
            return
        try:
            doc = DiscoveryDocument.model_validate_json(self.fallback_path.read_bytes())
        except (OSError, ValidationError) as exc:
            log.warning("discovery.fallback_unreadable", path=str(self.fallback_path),
                        error=str(exc)[:300])
            return
        log.info("discovery.fallback_loaded", version=doc.version,
                 storage_elements=len(doc.storage_elements))
        self._apply(doc, "fallback", persist=False)
