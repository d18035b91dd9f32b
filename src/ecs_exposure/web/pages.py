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
from ecs_exposure.store.queries import STATES, FindingFilter, ScanCounts
from ecs_exposure.web import charts, data, params
from ecs_exposure.web.render import page

TREND_SCANS = 30
SEVERITY_NAMES = tuple(s.name for s in reversed(Severity))


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _empty(request: Request, title: str) -> Response:
    return page(request, "empty.html.j2", title=title)


def _counts(store: Store, scan_id: int, trend: list[ScanCounts]) -> ScanCounts:
    """The scan's counts from the trend, or counted when it is older than the trend."""
    for point in trend:
        if point.scan_id == scan_id:
            return point
    by_state = {s: queries.findings(store, scan_id, FindingFilter(states=(s,)), limit=1).total
                for s in STATES}
    open_states = tuple(s for s in STATES if s != "resolved")
    by_severity = {s.name: queries.findings(store, scan_id, FindingFilter(
        severities=(s,), states=open_states), limit=1).total for s in reversed(Severity)}
    return ScanCounts(scan_id, queries.get_scan(store, scan_id).generated_at, by_severity,
                      by_state)


async def overview(request: Request) -> Response:
    """Counts by severity and state, the trend, top traits, worst services, accounts and
    regions, of one scan (the newest by default)."""
    store = _store(request)
    scan_id = params.scan_id(request, store)
    if scan_id is None:
        return _empty(request, "Overview")
    today = queries.now().date()
    trend = queries.trend(store, TREND_SCANS, today)
    counts = _counts(store, scan_id, trend)
    grouped = data.overview(store, scan_id, today)
    return page(request, "overview.html.j2", title="Overview",
                scan=queries.get_scan(store, scan_id), counts=counts,
                open_total=sum(counts.by_severity.values()),
                severities=SEVERITY_NAMES, states=STATES, chart=charts.trend(trend),
                traits=charts.meters(grouped.traits), worst=grouped.worst,
                groups=grouped.groups)


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
    return page(request, "findings.html.j2", title="Findings",
                scan=queries.get_scan(store, scan_id), result=result, query=query,
                current=current, pages=pages, facets=queries.facets(store, scan_id),
                severities=SEVERITY_NAMES, states=STATES, sorts=queries.SORTS)


def _traits(document: dict[str, Any], guidance: dict[str, Any]) -> dict[str, list[Any]]:
    traits = [dict(t, guidance=guidance.get(t.get("id"), {}))
              for t in document.get("traits") or ()]
    return {"main": [t for t in traits if not t.get("contextual")],
            "context": [t for t in traits if t.get("contextual")]}


async def finding(request: Request) -> Response:
    """A finding in one scan: why, its attack path, traits with evidence, the fix, its
    timeline, its suppression and audit log."""
    store = _store(request)
    finding_id = request.path_params["finding_id"]
    scan = None if params.one(request, "scan") is None else params.scan_id(request, store)
    detail = queries.finding(store, finding_id, scan, queries.now().date())
    document = detail.document or {}
    guidance = queries.scan_document(store, detail.row.scan_id).get("guidance") or {}
    steps = [str(s) for s in document.get("attack_path") or ()]
    remediation = document.get("remediation") or {}
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
