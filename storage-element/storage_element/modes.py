"""The SE's identity and mode, persisted on its own volume (``.se-state.json``).

``edit`` never changes; ``rw → ro`` and ``ro → ar`` are the only steps the API allows. Leaving
``ar`` (or forcing anything else) takes ``SE_MODE_OVERRIDE`` and a restart.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from typing import Any

import anyio
import structlog
from sqlalchemy.ext.asyncio import async_sessionmaker

from storage_element import repository as repo
from storage_element.backends import StorageBackend
from storage_element.config import Settings
from storage_element.errors import InvalidModeTransition
from storage_element.naming import STATE_NAME, now_utc

log = structlog.get_logger(__name__)

ALLOWED_TRANSITIONS = {("rw", "ro"), ("ro", "ar")}
WRITABLE = ("edit", "rw")


@dataclass
class VolumeState:
    se_id: uuid.UUID
    mode: str
    changed_at: str
    reason: str | None = None

    def encode(self) -> bytes:
        return json.dumps({
            "se_id": str(self.se_id), "mode": self.mode, "changed_at": self.changed_at,
            "reason": self.reason,
        }).encode()


def _load(backend: StorageBackend) -> VolumeState | None:
    raw = backend.get_bytes(STATE_NAME)
    if raw is None:
        return None
    data: dict[str, Any] = json.loads(raw)
    return VolumeState(uuid.UUID(data["se_id"]), data["mode"], data.get("changed_at", ""),
                       data.get("reason"))


class ModeKeeper:
    def __init__(self, backend: StorageBackend, sessionmaker: async_sessionmaker) -> None:
        self.backend = backend
        self.sessionmaker = sessionmaker
        self.state: VolumeState | None = None
        self._lock = asyncio.Lock()

    @property
    def se_id(self) -> uuid.UUID:
        assert self.state
        return self.state.se_id

    @property
    def mode(self) -> str:
        assert self.state
        return self.state.mode

    async def load(self, settings: Settings) -> None:
        state = await anyio.to_thread.run_sync(_load, self.backend)
        if state is None:
            state = VolumeState(settings.SE_ID or uuid.uuid4(),
                                settings.SE_MODE_OVERRIDE or settings.SE_MODE,
                                now_utc().isoformat(), "initial")
            await anyio.to_thread.run_sync(self.backend.put_bytes, STATE_NAME, state.encode())
            log.info("se.initialised", se_id=str(state.se_id), mode=state.mode)
        elif settings.SE_ID and settings.SE_ID != state.se_id:
            raise RuntimeError(
                f"SE_ID {settings.SE_ID} does not match the volume's id {state.se_id}"
            )
        self.state = state
        override = settings.SE_MODE_OVERRIDE
        if override and override != state.mode:
            await self._switch(override, "SE_MODE_OVERRIDE at startup")
            log.warning("se.mode_overridden", mode=override)

    async def change(self, target: str, reason: str | None) -> str:
        async with self._lock:
            current = self.mode
            if (current, target) not in ALLOWED_TRANSITIONS:
                raise InvalidModeTransition(
                    f"Cannot change mode from {current} to {target}",
                    details={"from": current, "to": target,
                             "allowed": sorted(f"{a}->{b}" for a, b in ALLOWED_TRANSITIONS)},
                )
            await self._switch(target, reason)
            return current

    async def _switch(self, target: str, reason: str | None) -> None:
        assert self.state
        new = VolumeState(self.state.se_id, target, now_utc().isoformat(), reason)
        async with self.sessionmaker() as session:
            wal_id = await repo.wal_begin(
                session, "mode_change", None, None,
                {"from": self.state.mode, "to": target, "reason": reason},
            )
            await session.commit()
        await anyio.to_thread.run_sync(self.backend.put_bytes, STATE_NAME, new.encode())
        async with self.sessionmaker() as session:
            await repo.wal_finish(session, wal_id, "committed")
            await session.commit()
        self.state = new
