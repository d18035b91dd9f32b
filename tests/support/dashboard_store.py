"""Stores for the dashboard's tests, benchmark and screenshots: the demo estate recorded twice
(with one fix in between), a hostile estate, and a large synthetic store (10,000 findings ×
30 scans) built fast.

The large store records its first scan through :func:`ecs_exposure.store.record.record` (the
real write path), then copies that scan's rows in SQL for the other scans (each copy marked
``active``): the shape and size the list queries face, in seconds rather than the minutes 30
full recordings take. ``bench/dashboard.py`` can record every scan for real (``--record``).
"""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, literal, null, select

from ecs_exposure.store.engine import Store
from ecs_exposure.store.queries import now
from ecs_exposure.store.record import record
from ecs_exposure.store.schema import Scan, ScanFinding
from support.store_documents import demo_document

TRAITS = ("privileged-container", "root-user", "writable-root-filesystem", "internet-reachable",
          "administrative-policy", "open-security-group", "host-network",
          "plaintext-credentials")
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW")
REGIONS = ("us-east-1", "eu-west-1", "ap-south-1")
HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"
"""A service name no page may run."""
FIXED = "storefront-web"
"""The demo service whose finding the second demo scan no longer has (fixed in between)."""


def demo_pair(store: Store) -> tuple[int, int]:
    """The demo estate scanned, then scanned a day later with ``storefront-web`` fixed."""
    first = demo_document()
    second = copy.deepcopy(first)
    second["findings"] = [f for f in second["findings"] if f["resource"]["name"] != FIXED]
    second["generated_at"] = "2026-12-02T00:00:00Z"
    first["generated_at"] = "2026-12-01T00:00:00Z"
    older = record(store, first, recorded_at=now() - timedelta(days=1))
    return older, record(store, second)


def hostile_finding(name: str = HOSTILE) -> dict[str, Any]:
    """A service finding whose every printed field carries markup."""
    arn = f"arn:aws:ecs:eu-west-1:111122223333:service/prod/{name}"
    return {"id": "0bad" * 8, "severity": "HIGH", "title": f"Service {name} is exposed",
            "why": f"because {name}", "likelihood": "high", "impact": "high",
            "reachability": "internet", "missing": [], "task_definitions": [],
            "resource": {"type": "AwsEcsService", "arn": arn, "name": name, "cluster": "prod",
                         "account": "111122223333", "region": "eu-west-1"},
            "attack_path": ["internet", f"service {name}", f"container {name}"],
            "traits": [{"id": "privileged-container", "title": "Privileged container",
                        "category": "misconfiguration", "contextual": False, "resource": arn,
                        "container": name, "status": "open",
                        "evidence": {"pointer": "/containerDefinitions/0/privileged",
                                     "detail": f"container {name} runs privileged",
                                     "location": {"file": f"{name}.json", "line": 1,
                                                  "column": 2}},
                        "remediation": f"remove {name}"}],
            "remediation": {"summary": f"fix {name}",
                            "task_definition": {"family": name, "containerDefinitions": []}},
            "status": "open", "suppressed_by": []}


def synthetic_finding(number: int) -> dict[str, Any]:
    """Finding ``number`` of the large store: spread over 10 accounts, 3 regions, 20
    clusters, 4 severities and 1-4 traits."""
    account = f"1111222233{number % 10:02d}"
    region = REGIONS[number % 3]
    cluster = f"cluster-{number % 20}"
    name = f"svc-{number:05d}"
    arn = f"arn:aws:ecs:{region}:{account}:service/{cluster}/{name}"
    traits = [TRAITS[(number * 7 + j) % len(TRAITS)] for j in range(1 + number % 4)]
    return {"id": f"{number:032x}", "severity": SEVERITIES[number % 4],
            "title": f"ECS service {name} with {', '.join(traits)}",
            "reachability": "internet" if number % 3 == 0 else "internal",
            "why": f"Service {name} is exposed.", "attack_path": ["internet", f"service {name}"],
            "resource": {"type": "AwsEcsService", "arn": arn, "name": name, "cluster": cluster,
                         "account": account, "region": region},
            "traits": [{"id": t, "title": t, "category": "misconfiguration",
                        "contextual": False, "resource": arn, "container": "app",
                        "status": "open",
                        "evidence": {"pointer": "/containerDefinitions/0",
                                     "detail": f"container app: {t}"}} for t in traits],
            "remediation": {"summary": "Register a fixed revision."},
            "status": "open", "suppressed_by": []}


def synthetic_document(findings: int, scan: int = 0) -> dict[str, Any]:
    """A JSON result of ``findings`` synthetic findings; each later ``scan`` replaces 1% of
    them (fixed ones leave, new ones come)."""
    numbers = [n if (n + scan) % 100 else n + 100_000 * scan for n in range(findings)]
    return {"schema": "ecs-exposure/result@1",
            "generated_at": f"2026-11-{1 + scan % 28:02d}T{scan // 28:02d}:00:00Z",
            "tool": {"name": "ecs-exposure", "version": "bench"},
            "summary": {"findings": findings},
            "findings": [synthetic_finding(n) for n in numbers],
            "task_definition_findings": [], "posture": [], "errors": [], "skipped": [],
            "inputs": ["synthetic"], "images": {}, "unscanned_images": [], "intel": [],
            "incomplete": [], "suppressions": [], "baseline": None, "guidance": {}}


def large_store(store: Store, findings: int = 10_000, scans: int = 30,
                documents: bool = True, record_last: bool = True) -> int:
    """Fill an empty ``store``: one recorded scan of ``findings``, copied in SQL as the
    ``scans - 2`` scans after it, then a last one recorded for real (1% of the findings
    replaced: resolved and new rows). Returns the newest scan's id. ``documents=False``: the
    copies leave each finding's JSON document out (``NULL``), so a test's store stays small;
    lists and counts never read it. ``record_last=False``: the last scan is a copy too (see
    ``bench/dashboard.py`` for why PostgreSQL needs it at this size)."""
    first = record(store, synthetic_document(findings))
    columns = [c for c in ScanFinding.__table__.columns.keys() if c != "scan_id"]
    with store.session() as session:
        base = session.get(Scan, first)
        last = first
        assert base is not None
        for _ in range(scans - 2 if record_last else scans - 1):
            scan = Scan(generated_at=base.generated_at, recorded_at=now(),
                        duration_seconds=1.0, tool_version=base.tool_version,
                        inputs=base.inputs, accounts=base.accounts, regions=base.regions,
                        scope=base.scope, intel=[], complete=True, findings=base.findings,
                        document=base.document)
            session.add(scan)
            session.flush()
            last = scan.id
            copied = select(literal(scan.id), *(
                literal("active").label("lifecycle") if c == "lifecycle"
                else null().label("document") if c == "document" and not documents
                else getattr(ScanFinding, c) for c in columns)).where(
                ScanFinding.scan_id == first)
            session.execute(insert(ScanFinding).from_select(["scan_id", *columns], copied))
    if not record_last:
        return last
    return record(store, synthetic_document(findings, scan=1))
