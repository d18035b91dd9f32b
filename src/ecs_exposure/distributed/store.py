"""Where the shards go: a local folder or an S3 prefix, each shard written whole or not at all.

A shard is a gzip-compressed snapshot (``sources/aws/snapshot.py``) of one unit of work. A
unit's shard appears only when the unit is done: a folder gets it through a temporary file
renamed into place (``os.replace`` is atomic on one filesystem), S3 through one
``PutObject`` (an object is visible whole or not at all). So a worker killed mid-unit leaves
nothing behind, a retried unit simply writes its shard again, and ``--resume`` may trust
every shard it finds.

A store is named by a string (``/path/to/dir`` or ``s3://bucket/prefix``) so that tasks can
carry it to worker processes and open it there; S3 is reached through boto3 with the
worker's standard credential chain and settings (``AWS_ENDPOINT_URL`` included), as the
collection itself is (s3fs is not needed).
"""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import orjson

from ecs_exposure.errors import CollectionError, InputError
from ecs_exposure.model import Json
from ecs_exposure.sources.aws import snapshot

S3_SCHEME = "s3://"


class Store(Protocol):
    """Shards by relative name (``<account>/<region>.json.gz``)."""

    @property
    def location(self) -> str: ...

    def exists(self, name: str) -> bool: ...
    def read(self, name: str) -> Json: ...
    def write(self, name: str, document: Json) -> None: ...
    def get(self, name: str) -> bytes | None: ...
    def put(self, name: str, data: bytes) -> None: ...


def _decode(data: bytes, where: str) -> Json:
    try:
        document = orjson.loads(snapshot.gunzip(data) if data[:2] == snapshot.GZIP_MAGIC
                                else data)
    except (orjson.JSONDecodeError, ValueError, InputError) as exc:
        raise CollectionError(f"shard {where} cannot be read: {exc}") from None
    if not snapshot.is_snapshot(document):
        raise CollectionError(f"shard {where} is not an ecs-exposure snapshot")
    return dict(document)


@dataclass(frozen=True)
class FolderStore:
    """Shards in a local (or shared network) folder, mode 0600 like every snapshot."""

    location: str

    def _path(self, name: str) -> Path:
        return Path(self.location) / name

    def exists(self, name: str) -> bool:
        return self._path(name).is_file()

    def read(self, name: str) -> Json:
        path = self._path(name)
        return _decode(path.read_bytes(), str(path))

    def write(self, name: str, document: Json) -> None:
        path = self._path(name)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        snapshot.write(document, path)       # temporary file + os.replace, gzip for .gz

    def get(self, name: str) -> bytes | None:
        """A file that is not a shard (the run's manifest), ``None`` when absent."""
        path = self._path(name)
        return path.read_bytes() if path.is_file() else None

    def put(self, name: str, data: bytes) -> None:
        path = self._path(name)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_bytes(data)
        temporary.chmod(0o600)
        os.replace(temporary, path)


@dataclass(frozen=True)
class S3Store:
    """Shards under an S3 prefix, one object each."""

    location: str

    def _where(self) -> tuple[str, str]:
        bucket, _, prefix = self.location[len(S3_SCHEME):].partition("/")
        return bucket, prefix.strip("/")

    def _key(self, name: str) -> str:
        _, prefix = self._where()
        return f"{prefix}/{name}" if prefix else name

    def _client(self) -> Any:
        import boto3  # in the worker: its own credential chain and endpoint settings

        return boto3.client("s3")

    def exists(self, name: str) -> bool:
        from botocore.exceptions import ClientError

        bucket, _ = self._where()
        try:
            self._client().head_object(Bucket=bucket, Key=self._key(name))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def read(self, name: str) -> Json:
        bucket, _ = self._where()
        body = self._client().get_object(Bucket=bucket, Key=self._key(name))["Body"].read()
        return _decode(body, f"{self.location.rstrip('/')}/{name}")

    def write(self, name: str, document: Json) -> None:
        bucket, _ = self._where()
        data = gzip.compress(orjson.dumps(document), mtime=0)
        self._client().put_object(Bucket=bucket, Key=self._key(name), Body=data,
                                  ContentType="application/gzip")

    def get(self, name: str) -> bytes | None:
        if not self.exists(name):
            return None
        bucket, _ = self._where()
        body = self._client().get_object(Bucket=bucket, Key=self._key(name))["Body"]
        return bytes(body.read())

    def put(self, name: str, data: bytes) -> None:
        bucket, _ = self._where()
        self._client().put_object(Bucket=bucket, Key=self._key(name), Body=data)


def open_store(location: str) -> Store:
    """The store a ``--shards`` value names (checked: an S3 URL needs a bucket)."""
    if location.startswith(S3_SCHEME):
        if not location[len(S3_SCHEME):].split("/", 1)[0]:
            raise CollectionError(f"--shards {location!r} names no bucket")
        return S3Store(location)
    return FolderStore(os.path.abspath(location))
