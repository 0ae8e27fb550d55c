"""Alembic environment of the admin module (see ``artstore_common.migrations.run_env``)."""

from admin_module.config import Settings
from admin_module.models import Base
from artstore_common.migrations import run_env

run_env(Base.metadata, lambda: Settings().DATABASE_URL)
