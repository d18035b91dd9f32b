"""Compare a scan with a previous result (``--baseline PREVIOUS.json``): what is new, what got
worse or better, what was resolved.

Findings are matched by id (the identity rule of :func:`ecs_exposure.exposure.assess.finding_id`:
account, region and service ARN, or task definition family), so a finding keeps its id across
runs, deploys of new revisions and input forms (files, a snapshot, live collection). By
severity:

- ``new`` — not in the baseline; ``unchanged`` — same severity; ``worse`` / ``better`` — higher /
  lower severity than in the baseline;
- baseline findings absent now are ``resolved`` — unless this scan could not read their scope
  (the service, its cluster, or its account and region are incomplete or failed): then they
  are ``unverified``, because a scope that could not be read never resolves anything.

``--fail-on-new S`` counts an open finding at or above ``S`` that is new, or that got worse from
below ``S``: whatever crossed the line since the baseline.

Pure functions: the baseline arrives parsed (:func:`ecs_exposure.sources.baseline.load_baseline`).
"""

from __future__ import annotations

from dataclasses import replace

from ecs_exposure.analysis.arn import parse_arn
from ecs_exposure.model import (
    BaselineComparison,
    Finding,
    PreviousFinding,
    PreviousResult,
    ScanResult,
    Severity,
)


def state(current: Severity, previous: PreviousFinding | None) -> str:
    """``new``, ``unchanged``, ``worse`` or ``better``."""
    if previous is None:
        return "new"
    if current == previous.severity:
        return "unchanged"
    return "worse" if current > previous.severity else "better"


def _unread(result: ScanResult, gone: PreviousFinding) -> bool:
    """Whether this scan could not read the scope ``gone`` lives in: its own resource, its
    cluster, or its account and region were incomplete, or a collection error hit them."""
    for item in result.incomplete:
        if item.resource == gone.arn:
            return True
        scope = parse_arn(item.resource)
        if scope is None or not scope.resource.startswith("cluster/"):
            continue
        if (scope.account, scope.region) != (gone.account, gone.region):
            continue
        cluster = scope.resource.split("/", 1)[1]
        service = parse_arn(gone.arn)
        parts = service.resource.split("/") if service else []
        if cluster == "*" or (len(parts) == 3 and parts[1] == cluster):
            return True
    return any(e.account is not None and e.account == gone.account
               and (e.region is None or e.region == gone.region) for e in result.errors)


def compare(result: ScanResult, baseline: PreviousResult) -> ScanResult:
    """``result`` with each finding's baseline state and the baseline's gone findings."""

    def marked(finding: Finding) -> Finding:
        previous = baseline.findings.get(finding.id)
        return replace(finding, baseline=state(finding.severity, previous), previous=previous)

    findings = tuple(marked(f) for f in result.findings)
    drafts = tuple(marked(f) for f in result.task_definition_findings)
    seen = {f.id for f in findings + drafts}
    gone = [p for p in baseline.findings.values() if p.id not in seen]
    unread = {p.id for p in gone if _unread(result, p)}
    return replace(result, findings=findings, task_definition_findings=drafts,
                   baseline=BaselineComparison(
                       baseline.source, baseline.generated_at,
                       resolved=tuple(p for p in gone if p.id not in unread),
                       unverified=tuple(p for p in gone if p.id in unread)))


def new_findings(result: ScanResult, threshold: Severity) -> list[Finding]:
    """Open findings at or above ``threshold`` that were not at or above it in the baseline
    (new, or worse from below it): what ``--fail-on-new`` fails on."""
    return [f for f in result.findings + result.task_definition_findings
            if not f.suppressed_by and f.severity >= threshold
            and (f.previous is None or f.previous.severity < threshold)]


__all__ = ["compare", "new_findings", "state"]
