"""Dask or Ray for the units of a distributed collection: the engine chosen by measurement.

Two measurements, each through both engines on this machine, with the same number of task
slots:

1. **Per-task overhead**: N no-op tasks submitted at once (tasks per second), and sequential
   round trips (submit one, wait for it: milliseconds per task), on 2 slots; plus the time to
   start the engine and its memory (resident size of every process it started).
2. **Collection throughput**: the real units (``distributed/units.py``, through the same
   driver, ``distributed/collect.py plan_and_run``) collecting a moto organization of M
   member accounts × 3 regions with 30–80 ms injected before every AWS call, answered from
   memory after a first recording run, as in ``bench/distributed.py``, on 1, 2, 4, 8 slots;
   with the CPU the engine's processes spent per unit.

Dask: a ``LocalCluster`` of at most two worker processes (two cores) with the slots as
threads, as ``--executor dask-local`` runs. Ray: ``ray.init(num_cpus=slots)`` on this
machine, the units as Ray tasks (``max_retries``: the same retries) — a Ray task slot is a
worker *process*, Ray has no threads-per-worker for plain tasks. Ray is not a dependency of
the tool: ``pip install ray`` to run this.

    PYTHONPATH=src nice python3 bench/engines.py                    # ~6 min here
    PYTHONPATH=src nice python3 bench/engines.py --slots 1,4 --members 4 --json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# bench/distributed.py is named like Dask's own package: never let it shadow ``distributed``.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent / "tests"))

import psutil  # noqa: E402
from distributed import Client, LocalCluster  # noqa: E402

from ecs_exposure.distributed.collect import plan_and_run  # noqa: E402
from ecs_exposure.distributed.engine import RETRIES, DaskEngine, ThreadEngine  # noqa: E402
from ecs_exposure.sources.aws.options import CollectOptions  # noqa: E402
from support.aws_org import ORG_REGIONS, ORG_ROLE, seed_organization  # noqa: E402
from support.aws_replay import ReplayProxy  # noqa: E402
from support.aws_server import MotoServer  # noqa: E402

LATENCY = (0.030, 0.080)


def delay(**_: Any) -> None:
    """botocore ``before-send``: the call's network and service time (shipped by value)."""
    time.sleep(random.uniform(*LATENCY))


def noop(value: int) -> int:
    return value


class RayFuture:
    """An ObjectRef as the driver sees a future (``result()``)."""

    def __init__(self, ref: Any) -> None:
        self.ref = ref

    def result(self) -> Any:
        import ray

        return ray.get(self.ref)


class RayEngine:
    """The engine protocol of ``distributed/engine.py`` on Ray tasks (bench only)."""

    name = "ray-local"

    def __init__(self) -> None:
        self._remote: dict[Callable[..., Any], Any] = {}

    def submit(self, func: Callable[..., Any], *args: Any, key: str) -> RayFuture:
        import ray

        if func not in self._remote:
            self._remote[func] = ray.remote(max_retries=RETRIES, retry_exceptions=True)(func)
        return RayFuture(self._remote[func].options(name=key).remote(*args))

    def wait_any(self, futures: Iterable[Any]) -> set[Any]:
        import ray

        by_ref = {f.ref: f for f in futures}
        ready, _ = ray.wait(list(by_ref), num_returns=1)
        more, _ = ray.wait(list(by_ref), num_returns=len(by_ref), timeout=0)
        return {by_ref[r] for r in (*ready, *more)}

    def close(self) -> None:
        pass


def _memory() -> float:
    """MiB resident in this process's descendants: the engine's processes (the Dask
    scheduler runs in this process, Ray's GCS and raylet do not)."""
    total = 0
    for proc in psutil.Process().children(recursive=True):
        try:
            total += proc.memory_info().rss
        except psutil.Error:
            continue
    return round(total / 2**20)


def warm(seconds: float = 0.0) -> int:
    """What a worker of a long run has done once and for all: import the units and load the
    service models (≈ 1–2 s of CPU per process, which a short run would otherwise count)."""
    from ecs_exposure.distributed import units  # noqa: F401
    from ecs_exposure.sources.aws.session import caller_again

    base = caller_again(CollectOptions(), "000000000000", "aws", "us-east-1", "arn")
    for service in ("sts", "organizations", "ecs", "ec2", "elbv2", "efs", "ecr", "iam"):
        base.account.clients.client(service)
    time.sleep(seconds)
    return os.getpid()


def _cpu() -> float:
    """CPU seconds used so far by this process's descendants (the engine's processes)."""
    total = 0.0
    for proc in psutil.Process().children(recursive=True):
        try:
            times = proc.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


class Dask:
    name = "dask"

    def __init__(self, slots: int) -> None:
        processes = min(slots, 2)
        self.layout = f"{processes} processes × {slots // processes} threads"
        self.cluster = LocalCluster(n_workers=processes, threads_per_worker=slots // processes,
                                    processes=True, dashboard_address=None, host="127.0.0.1")
        self.client = Client(self.cluster)
        self.engine = DaskEngine(self.client, f"dask-local:{processes}")

    def warm(self) -> None:
        self.client.run(warm)

    def burst(self, count: int) -> None:
        self.client.gather(self.client.map(noop, range(count), pure=False))

    def one(self, value: int) -> None:
        self.client.submit(noop, value, pure=False).result()

    def close(self) -> None:
        self.client.close()
        self.cluster.close()


class Ray:
    name = "ray"

    def __init__(self, slots: int) -> None:
        import ray

        self.layout = f"{slots} worker processes"
        ray.init(num_cpus=slots, include_dashboard=False, object_store_memory=200 * 2**20,
                 logging_level="ERROR", log_to_driver=False)
        self.noop = ray.remote(noop)
        self.engine = RayEngine()
        ray.get([self.noop.remote(i) for i in range(slots * 2)])   # workers started
        self.slots = slots

    def warm(self) -> None:
        import ray

        task = ray.remote(warm)     # each worker process busy a moment: every one is warmed
        pids = set(ray.get([task.remote(0.5) for _ in range(self.slots * 2)]))
        assert len(pids) >= self.slots, pids

    def burst(self, count: int) -> None:
        import ray

        ray.get([self.noop.remote(i) for i in range(count)])

    def one(self, value: int) -> None:
        import ray

        ray.get(self.noop.remote(value))

    def close(self) -> None:
        import ray

        ray.shutdown()


ENGINES: dict[str, Callable[[int], Any]] = {"dask": Dask, "ray": Ray}


def overhead(name: str, count: int, rounds: int) -> dict[str, Any]:
    start = time.perf_counter()
    engine = ENGINES[name](2)
    engine.burst(4)
    started = time.perf_counter() - start
    try:
        memory = _memory()
        start = time.perf_counter()
        engine.burst(count)
        burst = time.perf_counter() - start
        start = time.perf_counter()
        for i in range(rounds):
            engine.one(i)
        trip = (time.perf_counter() - start) / rounds
    finally:
        engine.close()
    return {"engine": name, "start_seconds": round(started, 1), "memory_mib": memory,
            f"tasks_per_second_{count}": round(count / burst), "round_trip_ms":
            round(trip * 1000, 1)}


def throughput(name: str, slots: int, options: CollectOptions) -> dict[str, Any]:
    engine = ENGINES[name](slots)
    try:
        engine.warm()
        with tempfile.TemporaryDirectory(prefix="bench-shards-") as shards:
            cpu, start = _cpu(), time.perf_counter()
            plan = plan_and_run(options, engine.engine, shards)
            seconds, cpu = time.perf_counter() - start, _cpu() - cpu
        memory = _memory()
    finally:
        engine.close()
    units = len(plan.accounts) + sum(len(r) for r in plan.regions.values()) + len(plan.iam)
    return {"engine": name, "slots": slots, "layout": engine.layout, "units": units,
            "seconds": round(seconds, 2), "units_per_second": round(units / seconds, 2),
            "engine_cpu_ms_per_unit": round(cpu / units * 1000), "memory_mib": memory}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slots", default="1,2,4,8", help="task slots (default: 1,2,4,8)")
    parser.add_argument("--members", type=int, default=8, help="member accounts (default 8)")
    parser.add_argument("--tasks", type=int, default=2000, help="no-op tasks (default 2000)")
    parser.add_argument("--rounds", type=int, default=200, help="round trips (default 200)")
    parser.add_argument("--engines", default="dask,ray")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    names = args.engines.split(",")
    out: dict[str, Any] = {"overhead": [], "collection": []}
    for name in names:
        out["overhead"].append(overhead(name, args.tasks, args.rounds))
        if not args.json:
            print(out["overhead"][-1], flush=True)
    server = MotoServer()
    org = seed_organization(server, members=args.members)
    os.environ.update({**server.env(), **org.credentials})
    proxy = ReplayProxy(server.endpoint)       # as in bench/distributed.py: moto's CPU out
    os.environ["AWS_ENDPOINT_URL"] = proxy.url
    with tempfile.TemporaryDirectory(prefix="bench-shards-") as shards:
        recording = ThreadEngine(8)
        plan_and_run(CollectOptions(regions=ORG_REGIONS, role_name=ORG_ROLE,
                                    organization=True), recording, shards)
        recording.close()
    options = CollectOptions(regions=ORG_REGIONS, role_name=ORG_ROLE, organization=True,
                             hooks=(("before-send", delay),))
    for slots in (int(s) for s in args.slots.split(",")):
        for name in names:
            out["collection"].append(throughput(name, slots, options))
            if not args.json:
                print(out["collection"][-1], flush=True)
    proxy.stop()
    server.stop()
    if args.json:
        print(json.dumps({"accounts": args.members + 1, "regions": len(ORG_REGIONS),
                          "latency_ms": [int(x * 1000) for x in LATENCY], **out}, indent=2))


if __name__ == "__main__":
    main()
