"""Alembic environment of the query module (see ``artstore_common.migrations.run_env``)."""

from artstore_common.migrations import run_env
from query_module.config import Settings
from query_module.models import Base

run_env(Base.metadata, lambda: Settings().DATABASE_URL)
