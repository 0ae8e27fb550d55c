"""Typed errors of the control plane (storage elements, sagas, finalize)."""

from __future__ import annotations

from artstore_common.errors import ArtStoreError, Conflict, NotFound, ValidationFailed
from artstore_common.se_client import SERejected  # noqa: F401 - the shared client raises it


class StorageElementNotFound(NotFound):
    code, message = "STORAGE_ELEMENT_NOT_FOUND", "Storage element not found"


class StorageElementUnreachable(ValidationFailed):
    """The URL given does not answer /api/v1/info as a storage element: the caller's input."""

    code, message = "STORAGE_ELEMENT_UNREACHABLE", "The storage element did not answer /api/v1/info"


class StorageElementExists(Conflict):
    code, message = "STORAGE_ELEMENT_EXISTS", "This storage element is already registered"


class StorageElementNotEmpty(Conflict):
    code, message = "STORAGE_ELEMENT_NOT_EMPTY", "Only an empty storage element can be removed"


class StorageElementAlreadyLost(Conflict):
    code, message = "STORAGE_ELEMENT_ALREADY_LOST", "This storage element was already declared lost"


class StorageElementBusy(Conflict):
    code, message = "STORAGE_ELEMENT_BUSY", "A saga is already running on this storage element"


class InvalidModeTransition(Conflict):
    code, message = "INVALID_MODE_TRANSITION", "Only rw → ro and ro → ar are allowed"


class SagaNotFound(NotFound):
    code, message = "SAGA_NOT_FOUND", "Saga not found"


class FileNotFound(NotFound):
    code, message = "FILE_NOT_FOUND", "File not found"


class FileNotFinalizable(Conflict):
    code, message = "FILE_NOT_FINALIZABLE", "The file cannot be finalized"


class StorageUnavailable(ArtStoreError):
    status_code, code, message = 503, "STORAGE_UNAVAILABLE", "A storage element did not answer"
