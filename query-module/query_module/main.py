"""App factory: ``uvicorn query_module.main:create_app --factory``.

The lifespan (``lifespan.py``) starts migrations → engine → Redis → discovery thread →
caches, downloader, re-indexer → event consumer and cache-invalidation listener.
"""

from __future__ import annotations

from fastapi import FastAPI

from artstore_common.app import create_base_app
from artstore_common.auth import TokenVerifier
from artstore_common.logging import configure_logging
from query_module import __version__
from query_module.api import api_router
from query_module.config import Settings
from query_module.health import health_checks
from query_module.lifespan import lifespan


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(settings.SERVICE_NAME, settings.LOG_LEVEL, settings.LOG_FORMAT)
    app = create_base_app(settings, title="ArtStore query module", version=__version__,
                          lifespan=lifespan)
    app.state.health_checks.extend(health_checks(app))
    app.state.token_verifier = TokenVerifier.from_settings(settings)
    app.include_router(api_router)
    return app
