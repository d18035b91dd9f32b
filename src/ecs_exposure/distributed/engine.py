"""The engines that run units: threads in this process, or Dask distributed.

``--executor`` names one:

  local              threads in this process (``--max-workers`` of them)
  dask://HOST:PORT   an existing Dask scheduler (``distributed.Client``): on Kubernetes, ECS,
                     AWS Batch, wherever the team runs Dask; shards then need ``--shards`` a
                     place every worker can write (an S3 prefix)
  dask-local[:N]     a ``LocalCluster`` of N worker processes (default 2) on this machine

Only submitting, waiting and retrying are asked of an engine, and Dask does all three: its
scheduler places tasks, retries a failed one (``retries``) and re-runs the tasks of a worker
that died. Nothing here is a scheduler, a queue or a worker protocol of our own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol

from ecs_exposure.errors import CollectionError

RETRIES = 2
"""Times the engine runs a failed unit again (a killed worker, a lost connection): units
are idempotent, so a retry is always safe."""
LOCAL_CLUSTER_WORKERS = 2
_SPEC = re.compile(r"(?:local|dask://[^\s/]+:\d+|dask-local(?::[1-9]\d{0,2})?)")


class Engine(Protocol):
    """What the driver asks of an engine."""

    name: str

    def submit(self, func: Callable[..., Any], *args: Any, key: str) -> Any: ...
    def wait_any(self, futures: Iterable[Any]) -> set[Any]: ...
    def close(self) -> None: ...


def check_spec(spec: str) -> str:
    """``spec`` if it names an engine, else a :class:`CollectionError` saying which do."""
    if not _SPEC.fullmatch(spec):
        raise CollectionError(f"--executor {spec!r} is not one of: local, dask://HOST:PORT, "
                              "dask-local[:N]")
    return spec


class ThreadEngine:
    """Units on threads of this process: the in-process collection's concurrency."""

    def __init__(self, workers: int) -> None:
        self.name = "local"
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers))

    def submit(self, func: Callable[..., Any], *args: Any, key: str) -> Future[Any]:
        return self._pool.submit(func, *args)

    def wait_any(self, futures: Iterable[Any]) -> set[Any]:
        done, _ = wait(list(futures), return_when=FIRST_COMPLETED)
        return set(done)

    def close(self) -> None:
        self._pool.shutdown(wait=True)


@dataclass
class DaskEngine:
    """Units as Dask tasks, retried by the scheduler (``retries``)."""

    client: Any
    name: str
    cluster: Any = None
    """The ``LocalCluster`` this engine started (closed with it), else ``None``."""

    def submit(self, func: Callable[..., Any], *args: Any, key: str) -> Any:
        # pure=False: a unit reads a live API, the same arguments may give another answer.
        return self.client.submit(func, *args, key=key, pure=False, retries=RETRIES)

    def wait_any(self, futures: Iterable[Any]) -> set[Any]:
        from distributed import wait as dask_wait

        done, _ = dask_wait(list(futures),  # type: ignore[no-untyped-call]
                            return_when="FIRST_COMPLETED")
        return set(done)

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def open_engine(spec: str, workers: int) -> Engine:
    """The engine ``spec`` names (``workers``: threads of the local engine)."""
    check_spec(spec)
    if spec == "local":
        return ThreadEngine(workers)
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise CollectionError(f"--executor {spec} needs Dask: pip install "
                              "'ecs-exposure[distributed]'") from None
    if spec.startswith("dask://"):
        address = "tcp://" + spec[len("dask://"):]
        try:
            client = Client(address, timeout="30s")  # type: ignore[no-untyped-call]
        except (OSError, TimeoutError) as exc:
            raise CollectionError(f"cannot reach the Dask scheduler at {address}: "
                                  f"{exc}") from None
        return DaskEngine(client, spec)
    processes = int(spec.split(":", 1)[1]) if ":" in spec else LOCAL_CLUSTER_WORKERS
    cluster = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=processes, threads_per_worker=1, processes=True, dashboard_address=None,
        host="127.0.0.1")
    return DaskEngine(Client(cluster), spec, cluster)  # type: ignore[no-untyped-call]


class engine_for:
    """``with engine_for(spec, workers) as engine:`` opens the engine and always closes it."""

    def __init__(self, spec: str, workers: int) -> None:
        self._spec, self._workers = spec, workers
        self._engine: Engine | None = None

    def __enter__(self) -> Engine:
        self._engine = open_engine(self._spec, self._workers)
        return self._engine

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self._engine is not None:
            self._engine.close()
