"""Measure the dashboard's page times on a store of 30 scans × 10,000 findings, on SQLite and
on PostgreSQL, through a real ``ecs-exposure serve`` process (uvicorn on a loopback port).

The store is built by ``tests/support/dashboard_store.large_store``: the first and last scans
recorded for real (the last replaces 1% of the findings, and the time it took is printed: a
write into a store that already holds 290,000 rows), the 28 between copied in SQL with their
documents. Each page is fetched once to warm up, then ``--runs`` times; the median and the
slowest are printed, with the budget (200 ms), the time ``serve`` took to answer, and the
first overview's time (``serve`` reads the last 30 scans' aggregates in the background at
start-up; the first overview waits for them).

    PYTHONPATH=src nice python3 bench/dashboard.py                    # SQLite and PostgreSQL
    PYTHONPATH=src nice python3 bench/dashboard.py --findings 2000 --postgres none

Recording that last scan on PostgreSQL once ran for minutes (the lifecycle ``UPDATE`` of
``store/record.py`` was a correlated subquery per column, planned, with no statistics for the
new scan id yet, as a walk of the ``(scan_id, severity)`` index for each of 10,000 findings);
it is an ``UPDATE … FROM`` join now.

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
from ecs_exposure.store.record import record  # noqa: E402
from support.dashboard_server import serving  # noqa: E402
from support.dashboard_store import large_store, synthetic_document  # noqa: E402

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


def measure(url: str, runs: int) -> tuple[float, float, list[tuple[str, float, float]]]:
    """Seconds ``serve`` took to answer and the first (cold) overview took, and per page
    (median, slowest) in milliseconds."""
    started = time.perf_counter()
    results = []
    with serving(url) as base, httpx.Client(base_url=base, timeout=120) as client:
        startup = time.perf_counter() - started
        begin = time.perf_counter()
        assert client.get("/").status_code == 200
        cold = time.perf_counter() - begin
        for name, path in PAGES:
            assert client.get(path).status_code == 200, path
            times = []
            for _ in range(runs):
                begin = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - begin) * 1000)
                assert response.status_code == 200, path
            results.append((name, statistics.median(times), max(times)))
    return startup, cold, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=10_000)
    parser.add_argument("--scans", type=int, default=30)
    parser.add_argument("--runs", type=int, default=5)
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
                large_store(store, args.findings, args.scans - 1, record_last=False)
                recording = time.perf_counter()
                record(store, synthetic_document(args.findings, scan=1))
                recorded = time.perf_counter() - recording
            built = time.perf_counter() - began
            startup, cold, results = measure(url, args.runs)
            print(f"{backend}: {args.scans} scans × {args.findings} findings (built in "
                  f"{built:.0f} s, the last scan recorded in {recorded:.1f} s); serve "
                  f"answered after {startup:.1f} s, the first overview after {cold:.1f} s")
            for name, median, slowest in results:
                flag = "" if median < BUDGET_MS else f"  over the {BUDGET_MS} ms budget"
                print(f"  {name:<10} median {median:7.1f} ms   slowest {slowest:7.1f} ms{flag}")


if __name__ == "__main__":
    main()
