"""Everything a request or a background job needs, built once in the lifespan."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from storage_element.backends import StorageBackend
from storage_element.capacity import Capacity
from storage_element.config import Settings
from storage_element.errors import FileBusy
from storage_element.events import OutboxRelay
from storage_element.modes import ModeKeeper


@dataclass
class SEContext:
    settings: Settings
    backend: StorageBackend
    engine: AsyncEngine
    sessionmaker: async_sessionmaker
    modes: ModeKeeper
    capacity: Capacity
    relay: OutboxRelay
    busy: set[uuid.UUID] = field(default_factory=set)
    version: str = "0.1.0"

    @property
    def se_id(self) -> uuid.UUID:
        return self.modes.se_id

    @cached_property
    def autocommit(self) -> AsyncEngine:
        """The same pool for single-statement work (the upload hot path): each statement is
        its own transaction, with no BEGIN/COMMIT round trips around it."""
        return self.engine.execution_options(isolation_level="AUTOCOMMIT")

    @contextmanager
    def claim(self, file_id: uuid.UUID):
        """One change at a time per file; a second one answers 409 instead of waiting."""
        if file_id in self.busy:
            raise FileBusy(details={"file_id": str(file_id)})
        self.busy.add(file_id)
        try:
            yield
        finally:
            self.busy.discard(file_id)
