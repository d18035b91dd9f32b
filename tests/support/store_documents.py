"""JSON results to record in a store: the demo's, and small hand-made ones whose findings,
scopes, errors and incomplete resources a lifecycle test chooses."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

import orjson

from ecs_exposure.reporters.json_report import EVERY_FIELD, FIXED_REVISIONS, result_dict
from support.report_inputs import demo_context, demo_result

ACCOUNT = "111122223333"
REGION = "eu-west-1"


@cache
def _demo() -> bytes:
    # as the store records a scan (record_result): every field, with the fixed revisions
    return orjson.dumps(result_dict(demo_result(), demo_context(),
                                    include=EVERY_FIELD | {FIXED_REVISIONS}))


def demo_document() -> dict[str, Any]:
    """The demo estate's JSON result (a fresh copy each call)."""
    return dict(orjson.loads(_demo()))


def finding(name: str, severity: str = "HIGH", *, account: str | None = ACCOUNT,
            region: str | None = REGION, cluster: str = "prod",
            traits: tuple[str, ...] = ("privileged-container",),
            title: str | None = None) -> dict[str, Any]:
    """A service finding as the JSON result holds it (the fields the store reads)."""
    arn = f"arn:aws:ecs:{region}:{account}:service/{cluster}/{name}"
    return {"id": f"id-{account}-{region}-{name}", "severity": severity,
            "title": title or f"ECS service {name}", "reachability": "internal",
            "resource": {"type": "AwsEcsService", "arn": arn, "name": name,
                         "cluster": cluster, "account": account, "region": region},
            "traits": [{"id": t, "status": "open"} for t in traits],
            "status": "open", "suppressed_by": []}


def document(*findings: dict[str, Any], errors: tuple[dict[str, Any], ...] = (),
             incomplete: tuple[dict[str, Any], ...] = (),
             generated_at: str = "2026-12-01T00:00:00Z") -> dict[str, Any]:
    """A JSON result holding ``findings`` (deep-copied)."""
    return {"schema": "ecs-exposure/result@1", "generated_at": generated_at,
            "tool": {"name": "ecs-exposure", "version": "test"},
            "summary": {"findings": len(findings)}, "findings": copy.deepcopy(list(findings)),
            "task_definition_findings": [], "posture": [], "errors": list(errors),
            "skipped": [], "inputs": ["test"], "images": {}, "unscanned_images": [],
            "intel": [], "incomplete": list(incomplete), "suppressions": [],
            "baseline": None, "guidance": {}}


def without(doc: dict[str, Any], name: str) -> dict[str, Any]:
    """``doc`` without the finding (service or task definition) named ``name``."""
    doc = copy.deepcopy(doc)
    for member in ("findings", "task_definition_findings"):
        doc[member] = [f for f in doc[member] if f["resource"]["name"] != name]
    return doc
