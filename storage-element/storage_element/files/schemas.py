"""The files endpoints' response models (see ``storage_element/schemas.py`` on how they are
used: documented and tested, the stored sidecar is sent as it is)."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from artstore_common.contracts import FileAttributes


class FileRead(FileAttributes):
    """One file: its sidecar, the SE answering, and whether that SE's copy is served."""

    storage_element_id: UUID
    quarantined: bool = Field(default=False,
                              description="present (true) only when this copy failed fixity")


class FilePage(BaseModel):
    """``GET /api/v1/files``: ordered by (updated_at, file_id); ``next_cursor`` continues."""

    items: list[FileRead]
    total: int
    limit: int
    offset: int
    next_cursor: str | None


class Disposition(BaseModel):
    """The approved batch a copy is destroyed under (``POST /files/{id}/dispose``)."""

    model_config = ConfigDict(extra="forbid")
    batch_id: UUID
