from storage_element.backends.base import StorageBackend, chunked
from storage_element.config import Settings


def make_backend(settings: Settings) -> StorageBackend:
    if settings.SE_BACKEND == "s3":
        from storage_element.backends.s3 import S3Backend

        if not settings.SE_S3_ENDPOINT_URL:
            raise ValueError("SE_S3_ENDPOINT_URL is required with SE_BACKEND=s3")
        return S3Backend(
            endpoint_url=settings.SE_S3_ENDPOINT_URL,
            access_key=settings.SE_S3_ACCESS_KEY,
            secret_key=settings.SE_S3_SECRET_KEY,
            bucket=settings.SE_S3_BUCKET,
            prefix=settings.SE_S3_PREFIX,
            region=settings.SE_S3_REGION,
            secure=settings.SE_S3_SECURE,
            part_size=settings.SE_S3_PART_SIZE,
            create_bucket=settings.SE_S3_CREATE_BUCKET,
        )
    from storage_element.backends.local import LocalBackend

    return LocalBackend(settings.SE_DATA_DIR, settings.SE_DIRECT_IO)


__all__ = ["StorageBackend", "chunked", "make_backend"]
