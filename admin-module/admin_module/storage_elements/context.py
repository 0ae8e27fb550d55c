"""The control plane's shared objects, built once in the lifespan and kept on ``app.state``.

The publisher and the saga runner are named by what the plane needs of them (protocols), so
this package imports neither discovery nor sagas: both sit above it."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Annotated, Any, Protocol

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from admin_module.config import Settings
from artstore_common.app import from_state
from artstore_common.resilience import BreakerRegistry
from artstore_common.se_client import StorageElementClient

# The subject of the tokens the admin module mints for its own calls to storage elements.
SYSTEM_SUBJECT = uuid.uuid5(uuid.NAMESPACE_URL, "artstore:admin-module")


class ServiceTokens:
    """A SYSTEM token (every scope, plus ``files:replicate`` for copies) signed with the
    module's current key, renewed well before it expires (and after a key rotation, through
    the key manager's short cache)."""

    def __init__(self, keys: Any, settings: Settings) -> None:
        self.keys = keys
        self.settings = settings
        self._token: str | None = None
        self._renew_at = 0.0

    async def token(self) -> str:
        from admin_module.auth.tokens import issue_access_token

        now = time.monotonic()
        if self._token is None or now >= self._renew_at:
            issued = await issue_access_token(
                self.keys, self.settings, subject=SYSTEM_SUBJECT, role="SYSTEM",
                ptype="service_account", name="admin-module",
                client_id=self.settings.ARTSTORE_CLIENT_ID, internal=True,
            )
            self._token = issued.access_token
            self._renew_at = now + max(30.0, issued.expires_in / 2)
        return self._token

    def invalidate(self) -> None:
        self._token = None

    async def probe_token(self) -> str:
        """For /info of a URL nobody registered yet: read-only, never an internal scope, so
        a discover aimed at a hostile host hands it nothing worth stealing."""
        from admin_module.auth.tokens import issue_access_token

        issued = await issue_access_token(
            self.keys, self.settings, subject=SYSTEM_SUBJECT, role="ADMIN",
            ptype="service_account", name="admin-module",
            client_id=self.settings.ARTSTORE_CLIENT_ID, scopes=frozenset({"storage:read"}),
        )
        return issued.access_token


class Publisher(Protocol):
    """``discovery.publisher.DiscoveryPublisher``."""

    async def publish(self) -> object: ...


class Runner(Protocol):
    """``sagas.runner.SagaRunner``."""

    def wake(self) -> None: ...


@dataclass
class ControlPlane:
    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]
    client: StorageElementClient
    publisher: Publisher
    breakers: BreakerRegistry
    runner: Runner | None = None  # set by the lifespan once the runner exists

    async def publish(self) -> None:
        await self.publisher.publish()

    def wake(self) -> None:
        """Nudge the saga runner (after a commit that created or advanced a saga)."""
        if self.runner is not None:
            self.runner.wake()


Plane = Annotated[ControlPlane, Depends(from_state("control_plane"))]
