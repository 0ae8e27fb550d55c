"""Typed errors of the ingester: status and code are part of the API."""

from __future__ import annotations

from typing import Any

from artstore_common.errors import ArtStoreError, BadRequest, ServiceUnavailable, ValidationFailed


class MalformedMultipart(BadRequest):
    code, message = "MALFORMED_MULTIPART", "The multipart/form-data body is malformed"


class NotMultipart(ArtStoreError):
    status_code, code = 415, "UNSUPPORTED_MEDIA_TYPE"
    message = "The request body must be multipart/form-data"


class FileTooLarge(ArtStoreError):
    status_code, code, message = 413, "FILE_TOO_LARGE", "The file exceeds the size limit"

    def __init__(self, limit: int, **kwargs: Any) -> None:
        kwargs.setdefault("details", {"max_file_size": limit})
        # The rest of the body is not read: tell the client the connection ends here.
        kwargs.setdefault("headers", {"Connection": "close"})
        super().__init__(f"The file exceeds the limit of {limit} bytes", **kwargs)


class FileTypeNotAllowed(ArtStoreError):
    status_code, code, message = 415, "FILE_TYPE_NOT_ALLOWED", "This file type is not accepted"


class NoFilePart(ValidationFailed):
    code, message = "NO_FILE", "The request has no file part (a part with a filename)"


class TooManyFiles(ValidationFailed):
    code, message = "TOO_MANY_FILES", "Only one file part is accepted here"


class FieldAfterFile(ValidationFailed):
    code = "FIELD_AFTER_FILE"
    message = "Form fields must come before the file part"


class InvalidField(ValidationFailed):
    code = "INVALID_FIELD"


class MetadataTooLarge(ValidationFailed):
    code, message = "METADATA_TOO_LARGE", "The file's metadata is too large"


class NoStorageAvailable(ServiceUnavailable):
    code, message = "NO_STORAGE_AVAILABLE", "No storage element can take this file now"

    def __init__(self, retry_after: int, message: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"Retry-After": str(max(1, retry_after))})
        super().__init__(message, **kwargs)


class StorageFailed(ArtStoreError):
    """The storage element failed while receiving the file; nothing was stored."""

    status_code, code, message = 502, "STORAGE_ELEMENT_FAILED", "The storage element failed"


class ChecksumMismatch(ArtStoreError):
    status_code, code = 502, "CHECKSUM_MISMATCH"
    message = "The storage element reported a different checksum than the ingester computed"


class ClientStalled(ArtStoreError):
    status_code, code = 408, "REQUEST_TIMEOUT"
    message = "The client stopped sending the file"


class IncompleteBody(BadRequest):
    code, message = "INCOMPLETE_BODY", "The request body is shorter than its Content-Length"
