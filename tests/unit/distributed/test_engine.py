"""``--executor`` values and the option rules, checked before anything runs."""

from __future__ import annotations

import pytest

from ecs_exposure.distributed.engine import ThreadEngine, check_spec
from ecs_exposure.distributed.options import ExecutorOptions
from ecs_exposure.errors import CollectionError


@pytest.mark.parametrize("spec", ["local", "dask://scheduler:8786", "dask://10.0.0.5:8786",
                                  "dask-local", "dask-local:4"])
def test_engines_named(spec: str) -> None:
    assert check_spec(spec) == spec


@pytest.mark.parametrize("spec", ["", "dask", "dask://", "dask://host", "ray://host:1",
                                  "dask-local:0", "dask-local:x", "dask://h:1/path",
                                  "local; rm -rf /"])
def test_anything_else_is_refused_with_the_choices(spec: str) -> None:
    with pytest.raises(CollectionError, match="local, dask://HOST:PORT, dask-local"):
        check_spec(spec)


@pytest.mark.parametrize("options,message", [
    (ExecutorOptions(resume=True), "--resume needs --shards"),
    (ExecutorOptions("dask://h:8786"), "needs --shards"),
])
def test_contradictions(options: ExecutorOptions, message: str) -> None:
    with pytest.raises(CollectionError, match=message):
        options.check()


def test_only_plain_threads_without_shards_is_the_in_process_collection() -> None:
    assert not ExecutorOptions().distributes
    assert ExecutorOptions(shards="d").distributes
    assert ExecutorOptions("dask-local").distributes


def test_thread_engine_runs_and_waits() -> None:
    engine = ThreadEngine(2)
    try:
        futures = {engine.submit(pow, 2, n, key=str(n)) for n in range(4)}
        done: set[object] = set()
        while futures - done:
            done |= engine.wait_any(futures - done)
        assert sorted(f.result() for f in futures) == [1, 2, 4, 8]  # type: ignore[attr-defined]
    finally:
        engine.close()
