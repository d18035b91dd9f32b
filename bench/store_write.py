"""Measure writing a scan of N findings (and N posture entries) to the findings store, on
SQLite and on PostgreSQL.

Builds one synthetic JSON result (findings with four traits and their evidence, like the demo's),
records it into a fresh store twice (the first scan inserts every finding identity; the second
updates them all to ``active``, the other write path), and prints the seconds of each write.
PostgreSQL is a throwaway cluster started here (``tests/support/postgres.py``) unless
``--postgres URL`` names one; ``--postgres none`` skips it.

    PYTHONPATH=src nice python3 bench/store_write.py                 # 10,000 findings
    PYTHONPATH=src nice python3 bench/store_write.py --findings 2000 --postgres none

Not a test: speed is measured here, never asserted in the test suite.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from ecs_exposure.store.engine import open_store  # noqa: E402
from ecs_exposure.store.record import record  # noqa: E402

TRAITS = ("internet-reachable", "open-security-group", "privileged-container",
          "plaintext-credentials")
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW")


def _trait(trait: str, n: int) -> dict[str, Any]:
    return {"id": trait, "category": "runtime", "title": trait.replace("-", " "),
            "contextual": False,
            "resource": f"arn:aws:ecs:us-east-1:111122223333:task-definition/app-{n}:3",
            "container": "app", "remediation": "Remove it in a new revision.",
            "evidence": {"pointer": "/containerDefinitions/0/privileged",
                         "detail": f"container app of service svc-{n} sets {trait}",
                         "file": f"ecs/task-definitions/app-{n}-3.json",
                         "file_pointer": "/taskDefinition/containerDefinitions/0/privileged",
                         "location": {"file": f"ecs/task-definitions/app-{n}-3.json",
                                      "line": 12, "column": 9}},
            "status": "open"}


def synthetic_result(count: int) -> dict[str, Any]:
    """A JSON result with ``count`` service findings and as many posture entries."""
    findings, posture = [], []
    for n in range(count):
        cluster = f"cluster-{n % 40}"
        resource = {"type": "AwsEcsService",
                    "arn": f"arn:aws:ecs:us-east-1:111122223333:service/{cluster}/svc-{n}",
                    "name": f"svc-{n}", "cluster": cluster, "account": "111122223333",
                    "region": "us-east-1"}
        traits = [_trait(t, n) for t in TRAITS]
        findings.append({
            "id": f"{n:032x}", "resource": resource, "severity": SEVERITIES[n % 4],
            "likelihood": "high", "impact": "high",
            "why": "Reachable from the internet and privileged: a foothold owns the host.",
            "title": f"Internet-reachable ECS service svc-{n} with a privileged container",
            "reachability": "internet", "missing": [],
            "task_definitions": [f"arn:aws:ecs:us-east-1:111122223333:task-definition/app-{n}:3"],
            "traits": traits, "attack_path": ["internet", "load balancer", f"svc-{n}"],
            "remediation": {"summary": "Register a revision without privileged.",
                            "task_definition": None},
            "vulnerabilities": {"top": [], "containers": []}, "incomplete": [],
            "status": "open", "suppressed_by": []})
        posture.append({"id": f"{n:032x}", "resource": resource, "severity": "HIGH",
                        "finding": f"{n:032x}", "task_definitions": [], "traits": traits,
                        "status": "open"})
    return {"schema": "ecs-exposure/result@1", "generated_at": "2026-12-01T00:00:00Z",
            "tool": {"name": "ecs-exposure", "version": "bench"},
            "summary": {"findings": count}, "findings": findings,
            "task_definition_findings": [], "posture": posture, "errors": [], "skipped": [],
            "inputs": ["bench"], "images": {}, "unscanned_images": [], "intel": [],
            "incomplete": [], "suppressions": [], "baseline": None, "guidance": {}}


def measure(url: str, document: dict[str, Any]) -> tuple[float, float]:
    """Seconds of the first (all new) and the second (all active) write."""
    with open_store(url) as store:
        times = []
        for _ in range(2):
            start = time.perf_counter()
            record(store, document)
            times.append(time.perf_counter() - start)
    return times[0], times[1]


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=10_000)
    parser.add_argument("--postgres", default="",
                        help="a PostgreSQL URL, or 'none' (default: a throwaway cluster)")
    args = parser.parse_args()
    document = synthetic_result(args.findings)
    with tempfile.TemporaryDirectory() as folder, _postgres(args.postgres) as postgres:
        targets = [("sqlite", f"sqlite:///{Path(folder) / 'store.db'}")]
        if postgres is not None:
            targets.append(("postgresql", postgres))
        for name, url in targets:
            first, second = measure(url, document)
            print(f"{name:<11} {args.findings} findings + {args.findings} posture entries: "
                  f"first scan {first:.2f} s, second scan {second:.2f} s")


if __name__ == "__main__":
    main()
