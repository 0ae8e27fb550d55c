"""Alembic environment of the storage element (see ``artstore_common.migrations.run_env``)."""

from artstore_common.migrations import run_env
from storage_element.config import Settings
from storage_element.models import Base

run_env(Base.metadata, lambda: Settings().DATABASE_URL)
