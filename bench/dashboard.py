"""Measure the dashboard's page times on a store of 30 scans × 10,000 findings, on SQLite and
on PostgreSQL, through a real ``ecs-exposure serve`` process (uvicorn on a loopback port).

The store is built by ``tests/support/dashboard_store.large_store``: the first and last scans
recorded for real (the last replaces 1% of the findings), the 28 between copied in SQL with
their documents. Each page is fetched once to warm up, then ``--runs`` times; the median and
the slowest are printed, with the budget (200 ms) and the time ``serve`` took to start (it
reads the last 30 scans' aggregates once, before answering).

    PYTHONPATH=src nice python3 bench/dashboard.py                    # SQLite and PostgreSQL
    PYTHONPATH=src nice python3 bench/dashboard.py --findings 2000 --postgres none

On PostgreSQL the last scan is a copy as well unless ``--record-last``: recording a scan into
a store that already holds 290,000 rows ran for minutes there (the lifecycle ``UPDATE`` of
``store/record.py`` filters the new scan's rows through its correlated subqueries, and the
planner, which has no statistics for the new scan id yet, walks the ``(scan_id, severity)``
index for each of 10,000 findings: 10,000 × 10,000 rows).

Not a test: speed is measured here, never asserted in the test suite.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from ecs_exposure.store.engine import open_store  # noqa: E402
from support.dashboard_server import serving  # noqa: E402
from support.dashboard_store import large_store  # noqa: E402

BUDGET_MS = 200
PAGES = (
    ("overview", "/"),
    ("findings", "/findings"),
    ("filtered", "/findings?severity=HIGH&trait=root-user&region=eu-west-1&sort=name"),
    ("search", "/findings?q=svc-0420"),
    ("page 150", "/findings?page=150"),
    ("a finding", "/findings/" + f"{420:032x}"),
    ("posture", "/posture"),
    ("diff", "/diff"),
)


@contextlib.contextmanager
def _postgres(option: str) -> Iterator[str | None]:
    if option == "none":
        yield None
    elif option:
        yield option
    else:
        from support.postgres import throwaway_cluster

        with throwaway_cluster() as server:
            yield server.new_database()


def measure(url: str, runs: int) -> tuple[float, list[tuple[str, float, float]]]:
    """Seconds ``serve`` took to answer, and per page (median, slowest) in milliseconds."""
    started = time.perf_counter()
    results = []
    with serving(url) as base, httpx.Client(base_url=base, timeout=120) as client:
        startup = time.perf_counter() - started
        for name, path in PAGES:
            assert client.get(path).status_code == 200, path
            times = []
            for _ in range(runs):
                begin = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - begin) * 1000)
                assert response.status_code == 200, path
            results.append((name, statistics.median(times), max(times)))
    return startup, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=10_000)
    parser.add_argument("--scans", type=int, default=30)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--record-last", action="store_true",
                        help="PostgreSQL too: record the last scan for real (see the docstring)")
    parser.add_argument("--postgres", default="",
                        help="a PostgreSQL URL, or 'none' (default: a throwaway cluster)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, _postgres(args.postgres) as postgres:
        targets = [("sqlite", f"sqlite:///{Path(folder) / 'store.db'}")]
        if postgres is not None:
            targets.append(("postgresql", postgres))
        for backend, url in targets:
            began = time.perf_counter()
            with open_store(url) as store:
                large_store(store, args.findings, args.scans,
                            record_last=backend == "sqlite" or args.record_last)
            built = time.perf_counter() - began
            startup, results = measure(url, args.runs)
            print(f"{backend}: {args.scans} scans × {args.findings} findings (built in "
                  f"{built:.0f} s); serve answered after {startup:.1f} s")
            for name, median, slowest in results:
                flag = "" if median < BUDGET_MS else f"  over the {BUDGET_MS} ms budget"
                print(f"  {name:<10} median {median:7.1f} ms   slowest {slowest:7.1f} ms{flag}")


if __name__ == "__main__":
    main()
