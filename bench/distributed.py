"""Units per second of a distributed collection against the number of Dask workers, with the
latency of a real AWS API injected into every call.

Seeds the moto server (the test suite's, on 127.0.0.1, in this process) with a wide, shallow
organization (``tests/support/aws_org.py``: M member accounts × 3 regions, one service in one
region of each), then collects it once per worker count on a Dask ``LocalCluster``, shards in
a temporary folder. Every AWS call first sleeps 30–80 ms (uniform) in a botocore
``before-send`` hook, in the worker that makes it: what an API call from a cluster costs
(round trip, TLS, AWS's own time), which moto on loopback does not have.

    PYTHONPATH=src nice python3 bench/distributed.py                        # 1,2,4,8,16
    PYTHONPATH=src nice python3 bench/distributed.py --workers 1,4 --members 6 --json

"Workers" are Dask task slots: at most two worker processes (this machine has two cores)
with the slots spread over them as threads, which is what latency-bound units need; on a
cluster each slot would be a container. The moto server answers in this process, on the same
two cores, and each answer costs it tens of milliseconds of CPU, which AWS's answers do not
cost us: so the API is reached through a recording proxy (``tests/support/aws_replay.py``),
and a first, unmeasured collection records every answer; the measured runs are answered from
memory, leaving the injected latency and the tool's own CPU (``--no-replay``: straight to
moto, the curve then flattens on moto's CPU). BENCHMARKS.md holds a run and the projection to
2,000 accounts × 17 regions.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# This file is named like Dask's own package: never let it shadow ``import distributed``.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent / "tests"))

import psutil  # noqa: E402
from distributed import Client, LocalCluster  # noqa: E402

from ecs_exposure.distributed.collect import plan_and_run  # noqa: E402
from ecs_exposure.distributed.engine import DaskEngine, ThreadEngine  # noqa: E402
from ecs_exposure.sources.aws.options import CollectOptions  # noqa: E402
from support.aws_org import ORG_REGIONS, ORG_ROLE, seed_organization  # noqa: E402
from support.aws_replay import ReplayProxy  # noqa: E402
from support.aws_server import MotoServer  # noqa: E402

LATENCY = (0.030, 0.080)
"""Seconds slept before each AWS call (uniform)."""


def delay(**_: Any) -> None:
    """botocore ``before-send``: the call's network and service time. Defined in ``__main__``,
    so Dask ships it to the workers by value."""
    time.sleep(random.uniform(*LATENCY))


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


def engine_cpu() -> float:
    """CPU seconds used so far by this process's descendants (the worker processes)."""
    total = 0.0
    for proc in psutil.Process().children(recursive=True):
        try:
            times = proc.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def record(options: CollectOptions) -> None:
    """One collection without injected latency, on threads: the proxy keeps every answer."""
    with tempfile.TemporaryDirectory(prefix="bench-shards-") as shards:
        engine = ThreadEngine(8)
        try:
            plan_and_run(CollectOptions(regions=options.regions, role_name=options.role_name,
                                        organization=True), engine, shards)
        finally:
            engine.close()


def run(workers: int, options: CollectOptions) -> dict[str, Any]:
    """One collection of the organization on ``workers`` Dask slots."""
    processes = min(workers, 2)
    cluster = LocalCluster(n_workers=processes, threads_per_worker=workers // processes,
                           processes=True, dashboard_address=None, host="127.0.0.1")
    client = Client(cluster)
    client.run(warm)
    engine = DaskEngine(client, f"dask-local:{processes}")
    try:
        with tempfile.TemporaryDirectory(prefix="bench-shards-") as shards:
            cpu, start = engine_cpu(), time.perf_counter()
            plan = plan_and_run(options, engine, shards)
            seconds, cpu = time.perf_counter() - start, engine_cpu() - cpu
    finally:
        engine.close()
        cluster.close()
    regions = sum(len(r) for r in plan.regions.values())
    units = len(plan.accounts) + regions + len(plan.iam)
    return {"workers": workers, "processes": processes, "units": units,
            "region_units": regions, "seconds": round(seconds, 2),
            "units_per_second": round(units / seconds, 2),
            "worker_cpu_ms_per_unit": round(cpu / units * 1000)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", default="1,2,4,8,16",
                        help="comma-separated worker counts (default: 1,2,4,8,16)")
    parser.add_argument("--members", type=int, default=12,
                        help="member accounts of the organization (default: 12)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--no-replay", action="store_true",
                        help="every call to moto (its CPU then limits the curve)")
    args = parser.parse_args()
    counts = [int(w) for w in args.workers.split(",")]

    server = MotoServer()
    started = time.perf_counter()
    org = seed_organization(server, members=args.members)
    seeded = time.perf_counter() - started
    os.environ.update({**server.env(), **org.credentials})
    options = CollectOptions(regions=ORG_REGIONS, role_name=ORG_ROLE, organization=True,
                             hooks=(("before-send", delay),))
    proxy = None if args.no_replay else ReplayProxy(server.endpoint)
    if proxy is not None:
        os.environ["AWS_ENDPOINT_URL"] = proxy.url      # workers inherit it
        record(options)
        proxy.counts()
    rows = []
    for workers in counts:
        rows.append(run(workers, options))
        if proxy is not None:
            rows[-1]["moto_calls"], rows[-1]["replayed_calls"] = proxy.counts()
        if not args.json:
            row = rows[-1]
            print(f"{row['workers']:>3} workers ({row['processes']} processes): "
                  f"{row['units']} units in {row['seconds']:.1f} s = "
                  f"{row['units_per_second']:.1f} units/s, "
                  f"{row['worker_cpu_ms_per_unit']} ms of worker CPU per unit"
                  + (f"; {row['moto_calls']} calls to moto, {row['replayed_calls']} replayed"
                     if proxy is not None else ""), flush=True)
    if proxy is not None:
        proxy.stop()
    server.stop()
    if args.json:
        print(json.dumps({"accounts": args.members + 1, "regions": len(ORG_REGIONS),
                          "replay": proxy is not None,
                          "latency_ms": [int(x * 1000) for x in LATENCY],
                          "seeding_seconds": round(seeded, 1), "runs": rows}, indent=2))


if __name__ == "__main__":
    main()
