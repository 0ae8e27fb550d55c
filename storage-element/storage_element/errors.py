"""Typed errors of the storage element (one handler renders them in the SPEC §2 shape)."""

from __future__ import annotations

from artstore_common.errors import ArtStoreError, Conflict, Forbidden, NotFound, ValidationFailed


class FileNotFound(NotFound):
    code, message = "FILE_NOT_FOUND", "File not found"


class FileExists(Conflict):
    code, message = "FILE_EXISTS", "A file with this id already exists"


class FileBusy(Conflict):
    code, message = "FILE_BUSY", "Another operation on this file is in progress"


class StorageElementReadOnly(Conflict):
    code, message = "STORAGE_ELEMENT_READ_ONLY", "The storage element does not accept changes"


class OperationNotAllowedInMode(Conflict):
    code, message = "OPERATION_NOT_ALLOWED_IN_MODE", "This operation is not allowed in this mode"


class WithdrawWindowPassed(Conflict):
    code, message = ("WITHDRAW_WINDOW_PASSED",
                     "Only a copy stored within the last hour may be withdrawn")


class FileArchived(Conflict):
    code, message = "FILE_ARCHIVED", "The file is archived; only its metadata is available"


class FileQuarantined(Conflict):
    code, message = "FILE_QUARANTINED", "The file failed its checksum and is quarantined"


class FileOnHold(Conflict):
    code, message = "FILE_ON_HOLD", "The file is under a legal hold and cannot be deleted"


class FileUnderRetention(Conflict):
    code, message = "FILE_UNDER_RETENTION", "The file must be kept until its retain_until"


class RetainUntilEarlier(Conflict):
    code, message = ("RETAIN_UNTIL_EARLIER",
                     "retain_until can only be moved later, never earlier")


class RetentionModeMismatch(Conflict):
    code, message = "RETENTION_MODE_MISMATCH", "Retention policy does not match the SE's mode"


class InvalidModeTransition(Conflict):
    code, message = "INVALID_MODE_TRANSITION", "This mode transition is not allowed"


class ChecksumMismatch(ValidationFailed):
    code, message = "CHECKSUM_MISMATCH", "The body does not match the expected SHA-256"


class SidecarTooLarge(ValidationFailed):
    code, message = "SIDECAR_TOO_LARGE", "The file's attributes exceed 4 KiB"


class InvalidAttributes(ValidationFailed):
    code, message = "INVALID_ATTRIBUTES", "The upload attributes are invalid"


class LengthRequired(ArtStoreError):
    status_code, code, message = 411, "LENGTH_REQUIRED", "Content-Length or declared size required"


class PayloadTooLarge(ArtStoreError):
    status_code, code, message = 413, "PAYLOAD_TOO_LARGE", "The body is larger than allowed"


class IncompleteBody(ArtStoreError):
    status_code, code, message = 400, "INCOMPLETE_BODY", "The body is shorter than declared"


class InsufficientStorage(ArtStoreError):
    status_code, code, message = 507, "INSUFFICIENT_STORAGE", "Not enough free space"


class InvalidRange(ArtStoreError):
    status_code, code, message = 400, "INVALID_RANGE", "The Range header is malformed"


class RangeNotSatisfiable(ArtStoreError):
    status_code, code, message = 416, "RANGE_NOT_SATISFIABLE", "The range cannot be satisfied"


class ProvenanceNotAllowed(Forbidden):
    code = "PROVENANCE_NOT_ALLOWED"
    message = "Only internal services may set uploaded_by, created_at or expires_at"


class NotFileOwner(Forbidden):
    code = "NOT_FILE_OWNER"
    message = "Only the uploading account or an administrator may change this file"

