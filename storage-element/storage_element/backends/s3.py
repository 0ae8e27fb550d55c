"""S3 backend (MinIO SDK, plain S3 calls only). Objects appear only when their upload completes,
so a crash can leave an incomplete multipart upload but never a half object; those are aborted
at startup. The body is fed to ``put_object(length=-1)`` through a bounded queue, so memory
holds at most one part plus a few chunks whatever the file size.
"""

from __future__ import annotations

import contextlib
import io
import queue
import threading
from collections.abc import Iterator
from urllib.parse import urlparse

from minio import Minio
from minio.error import S3Error

from storage_element.naming import STATE_NAME, is_safe_relpath, is_sidecar

_EOF = object()
_ABORT = object()


class _Aborted(Exception):
    pass


class _QueueStream(io.RawIOBase):
    def __init__(self, q: queue.Queue) -> None:
        self._q = q
        self._buf = bytearray()
        self._done = False

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while not self._done and (size < 0 or len(self._buf) < size):
            item = self._q.get()
            if item is _EOF:
                self._done = True
            elif item is _ABORT:
                raise _Aborted("upload aborted")
            else:
                self._buf += item
        if size < 0:
            size = len(self._buf)
        out = bytes(self._buf[:size])
        del self._buf[:size]
        return out


class S3Writer:
    def __init__(self, backend: S3Backend, key: str) -> None:
        self._q: queue.Queue = queue.Queue(maxsize=8)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(backend, key), daemon=True)
        self._thread.start()

    def _run(self, backend: S3Backend, key: str) -> None:
        try:
            backend.client.put_object(
                backend.bucket, key, _QueueStream(self._q), length=-1,
                part_size=backend.part_size, num_parallel_uploads=1,
            )
        except BaseException as exc:  # reported to the writer's caller
            self._error = exc

    def _put(self, item: object) -> None:
        while True:
            if self._error is not None:
                raise self._error
            try:
                self._q.put(item, timeout=0.5)
                return
            except queue.Full:
                if not self._thread.is_alive():
                    raise RuntimeError("S3 upload thread died") from self._error

    def write(self, data: bytes) -> None:
        self._put(data)

    def commit(self) -> None:
        self._put(_EOF)
        self._thread.join()
        if self._error is not None:
            raise self._error

    def abort(self) -> None:
        with contextlib.suppress(queue.Full):
            self._q.put_nowait(_ABORT)
        if self._thread.is_alive():
            with contextlib.suppress(Exception):
                # unblock a reader waiting behind a full queue
                while self._thread.is_alive():
                    try:
                        self._q.put(_ABORT, timeout=0.2)
                    except queue.Full:
                        with contextlib.suppress(queue.Empty):
                            self._q.get_nowait()
                    self._thread.join(timeout=0.2)


class _ResponseReader:
    def __init__(self, response) -> None:
        self._r = response

    def read(self, size: int) -> bytes:
        return self._r.read(size)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._r.close()
            self._r.release_conn()


class S3Backend:
    kind = "s3"

    def __init__(
        self, *, endpoint_url: str, access_key: str | None, secret_key: str | None, bucket: str,
        prefix: str = "", region: str = "us-east-1", secure: bool | None = None,
        part_size: int = 16 * 1024 * 1024, create_bucket: bool = True,
    ) -> None:
        parsed = urlparse(endpoint_url if "://" in endpoint_url else f"http://{endpoint_url}")
        self.client = Minio(
            parsed.netloc, access_key=access_key, secret_key=secret_key,
            secure=parsed.scheme == "https" if secure is None else secure, region=region,
        )
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.part_size = max(part_size, 5 * 1024 * 1024)
        if create_bucket and not self.client.bucket_exists(bucket):
            with contextlib.suppress(S3Error):
                self.client.make_bucket(bucket)

    def _key(self, relpath: str) -> str:
        if relpath != STATE_NAME and not is_safe_relpath(relpath.removesuffix(".attr.json")):
            raise ValueError(f"unsafe storage path: {relpath!r}")
        return self.prefix + relpath

    def open_writer(self, relpath: str) -> S3Writer:
        return S3Writer(self, self._key(relpath))

    def put_bytes(self, relpath: str, data: bytes) -> None:
        self.client.put_object(
            self.bucket, self._key(relpath), io.BytesIO(data), length=len(data),
            content_type="application/json",
        )

    def get_bytes(self, relpath: str) -> bytes | None:
        try:
            response = self.client.get_object(self.bucket, self._key(relpath))
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject"):
                return None
            raise
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    def open_reader(self, relpath: str, offset: int = 0, length: int | None = None):
        return _ResponseReader(
            self.client.get_object(
                self.bucket, self._key(relpath), offset=offset, length=length or 0)
        )

    def size(self, relpath: str) -> int | None:
        try:
            return self.client.stat_object(self.bucket, self._key(relpath)).size
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject", "ResourceNotFound"):
                return None
            raise

    def delete(self, relpath: str) -> None:
        self.client.remove_object(self.bucket, self._key(relpath))

    def remove_temps(self, relpath: str) -> None:
        self._abort_uploads(self._key(relpath))

    def walk(self) -> Iterator[tuple[str, int]]:
        for obj in self.client.list_objects(self.bucket, prefix=self.prefix, recursive=True):
            rel = obj.object_name[len(self.prefix):]
            base = rel.removesuffix(".attr.json") if is_sidecar(rel) else rel
            if is_safe_relpath(base):
                yield rel, obj.size or 0

    def cleanup_all_temps(self) -> int:
        return self._abort_uploads(self.prefix)

    def _abort_uploads(self, prefix: str) -> int:
        aborted = 0
        try:
            result = self.client._list_multipart_uploads(self.bucket, prefix=prefix)
            for upload in result.uploads:
                self.client._abort_multipart_upload(
                    self.bucket, upload.object_name, upload.upload_id
                )
                aborted += 1
        except Exception:  # best effort: servers may not list uploads
            return aborted
        return aborted

    def check(self) -> None:
        if not self.client.bucket_exists(self.bucket):
            raise RuntimeError(f"bucket {self.bucket} does not exist")
