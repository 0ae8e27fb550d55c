"""Typed request dependencies for what the lifespan built, and the scopes endpoints need.

The upload service's alias sits in ``uploads/deps.py``: importing it here would make
``uploads`` import itself back through this module.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from artstore_common.access import AccessTrail
from artstore_common.app import from_state
from artstore_common.auth import FilesWrite
from ingester_module.config import Settings

__all__ = ["AppSettings", "FilesWrite", "Trail"]

AppSettings = Annotated[Settings, Depends(from_state("settings"))]
Trail = Annotated[AccessTrail, Depends(from_state("access_trail"))]
