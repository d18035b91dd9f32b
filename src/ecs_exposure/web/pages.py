"""The overview, the findings list and a finding's page (GET only; changes are in
:mod:`.actions`)."""

from __future__ import annotations

import math
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from ecs_exposure.model import Severity
from ecs_exposure.reporters.html import diagram
from ecs_exposure.store import queries
from ecs_exposure.store.engine import Store
from ecs_exposure.store.queries import STATES
from ecs_exposure.web import charts, params, summary
from ecs_exposure.web.render import page

TREND_SCANS = 30
SEVERITY_NAMES = tuple(s.name for s in reversed(Severity))


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _summaries(request: Request) -> summary.Summaries:
    cache: summary.Summaries = request.app.state.summaries
    return cache


def _empty(request: Request, title: str) -> Response:
    return page(request, "empty.html.j2", title=title)


async def overview(request: Request) -> Response:
    """Counts by severity and state, the trend, top traits, worst services, accounts and
    regions, of one scan (the newest by default)."""
    store = _store(request)
    scan_id = params.scan_id(request, store)
    if scan_id is None:
        return _empty(request, "Overview")
    today = queries.now().date()
    cache = _summaries(request)
    scan = queries.get_scan(store, scan_id)
    now = summary.live(cache, scan_id, scan.generated_at, today)
    return page(request, "overview.html.j2", title="Overview", scan=scan, counts=now.counts,
                open_total=sum(now.counts.by_severity.values()),
                severities=SEVERITY_NAMES, states=STATES,
                chart=charts.trend(summary.trend(cache, TREND_SCANS, today)),
                traits=charts.meters(now.traits), worst=now.worst, groups=now.groups)


async def findings(request: Request) -> Response:
    """One page of a scan's findings, filtered and sorted in the database."""
    store = _store(request)
    scan_id = params.scan_id(request, store)
    if scan_id is None:
        return _empty(request, "Findings")
    query = params.list_query(request)
    result = queries.findings(store, scan_id, query.keep, query.sort, query.descending,
                              query.offset, query.per_page, queries.now().date())
    pages = max(math.ceil(result.total / query.per_page), 1)
    keep = query.keep
    current: dict[str, Any] = {
        "scan": scan_id, "severity": [s.name for s in keep.severities],
        "state": list(keep.states), "trait": keep.trait, "account": keep.account,
        "region": keep.region, "cluster": keep.cluster, "q": keep.text, "kind": keep.kind}
    scan = queries.get_scan(store, scan_id)
    facets = _summaries(request).get(scan_id, scan.generated_at).facets
    return page(request, "findings.html.j2", title="Findings",
                scan=scan, result=result, query=query,
                current=current, pages=pages, facets=facets,
                severities=SEVERITY_NAMES, states=STATES, sorts=queries.SORTS)


FINDING_FIELDS: dict[str, Any] = {
    "why": "", "likelihood": None, "impact": None, "reachability": None, "missing": [],
    "task_definitions": [], "attack_path": [], "traits": [], "remediation": {}}
"""What the finding page reads of a stored finding, with the value when a field is absent
(an older result, a resolution row)."""
EVIDENCE_FIELDS = ("detail", "location", "file", "file_pointer", "pointer")
TRAIT_FIELDS = ("id", "title", "status", "remediation", "resource", "contextual")


def _trait(trait: dict[str, Any], guidance: dict[str, Any]) -> dict[str, Any]:
    evidence = trait.get("evidence") or {}
    return {**{k: trait.get(k) for k in TRAIT_FIELDS},
            "evidence": {k: evidence.get(k) for k in EVIDENCE_FIELDS},
            "references": [str(r) for r in (guidance.get(str(trait.get("id"))) or {})
                           .get("references") or ()]}


def _traits(document: dict[str, Any], guidance: dict[str, Any]) -> dict[str, list[Any]]:
    traits = [_trait(t, guidance) for t in document["traits"] if isinstance(t, dict)]
    return {"main": [t for t in traits if not t["contextual"]],
            "context": [t for t in traits if t["contextual"]]}


async def finding(request: Request) -> Response:
    """A finding in one scan: why, its attack path, traits with evidence, the fix, its
    timeline, its suppression and audit log."""
    store = _store(request)
    finding_id = request.path_params["finding_id"]
    scan = None if params.one(request, "scan") is None else params.scan_id(request, store)
    detail = queries.finding(store, finding_id, scan, queries.now().date())
    document = {**FINDING_FIELDS, **(detail.document or {})}
    guidance = queries.scan_document(store, detail.row.scan_id).get("guidance") or {}
    steps = [str(s) for s in document["attack_path"] or ()]
    remediation = {"summary": None, **(document["remediation"] or {})}
    return page(request, "finding.html.j2", title=detail.row.title, detail=detail,
                row=detail.row, f=document, traits=_traits(document, guidance),
                diagram=diagram(steps) if steps else None,
                fixed=bool(remediation.get("task_definition")),
                remediation=remediation, today=queries.now().date())


async def fixed_task_definition(request: Request) -> Response:
    """The fixed task definition the stored finding carries, as a JSON download (404 when
    the finding has none)."""
    store = _store(request)
    finding_id = request.path_params["finding_id"]
    scan = None if params.one(request, "scan") is None else params.scan_id(request, store)
    detail = queries.finding(store, finding_id, scan)
    fixed = ((detail.document or {}).get("remediation") or {}).get("task_definition")
    if not fixed:
        return page(request, "error.html.j2", status=404, title="Not found",
                    message="This finding carries no fixed task definition.")
    family = str(fixed.get("family") or "task-definition")
    name = "".join(c if c.isalnum() or c in "-_" else "_" for c in family)[:100]
    return Response(orjson.dumps(fixed, option=orjson.OPT_INDENT_2) + b"\n",
                    media_type="application/json",
                    headers={"content-disposition":
                             f'attachment; filename="{name}-fixed.json"'})
