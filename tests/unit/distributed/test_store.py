"""Shards in a folder: whole or absent, owner-only, readable as snapshots."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from ecs_exposure.distributed.store import FolderStore, S3Store, open_store
from ecs_exposure.errors import CollectionError
from ecs_exposure.sources.aws import snapshot


def shard(marker: str) -> dict[str, object]:
    return snapshot.build({}, scope={"marker": marker}, errors=[], incomplete={}, calls={},
                          generated_at="2026-12-07T00:00:00Z")


def test_a_shard_is_written_whole_owner_only_and_read_back(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "shards"))
    assert isinstance(store, FolderStore)
    assert not store.exists("1/regions/us-east-1.json.gz")
    store.write("1/regions/us-east-1.json.gz", shard("a"))
    store.write("1/regions/us-east-1.json.gz", shard("b"))      # a retry rewrites it
    path = tmp_path / "shards/1/regions/us-east-1.json.gz"
    assert path.read_bytes()[:2] == snapshot.GZIP_MAGIC
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert store.read("1/regions/us-east-1.json.gz")["scope"] == {"marker": "b"}
    assert [p.name for p in path.parent.iterdir()] == [path.name]   # no temporary left


def test_a_file_that_is_not_a_shard_is_an_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "x.json.gz").write_bytes(b"not gzip, not json")
    with pytest.raises(CollectionError, match="x.json.gz"):
        FolderStore(str(tmp_path)).read("x.json.gz")


def test_s3_locations() -> None:
    store = open_store("s3://bucket/runs/1/")
    assert isinstance(store, S3Store)
    with pytest.raises(CollectionError, match="names no bucket"):
        open_store("s3:///prefix")
