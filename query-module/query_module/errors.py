"""Typed errors of the query module (rendered in the shared error shape)."""

from __future__ import annotations

from artstore_common.errors import ArtStoreError, Conflict, NotFound, ServiceUnavailable


class FileNotFound(NotFound):
    code, message = "FILE_NOT_FOUND", "File not found"


class FileArchived(Conflict):
    code, message = "FILE_ARCHIVED", "The file is on an archived storage element"


class StorageElementUnavailable(ServiceUnavailable):
    code = "STORAGE_ELEMENT_UNAVAILABLE"
    message = "The storage element holding the file is unavailable"


class StorageElementError(ArtStoreError):
    status_code, code, message = 502, "STORAGE_ELEMENT_ERROR", "The storage element failed"


class RangeNotSatisfiable(ArtStoreError):
    status_code, code, message = 416, "RANGE_NOT_SATISFIABLE", "Requested range not satisfiable"


class ReindexAlreadyRunning(Conflict):
    code, message = "REINDEX_RUNNING", "A re-index is already running"


class TextPending(Conflict):
    code, message = "TEXT_PENDING", "The file's text has not been extracted yet"


class NoText(NotFound):
    code, message = "NO_TEXT", "The file has no extracted text"


class NoThumbnail(Conflict):
    code, message = "NO_THUMBNAIL", "No thumbnail can be made for this file"
