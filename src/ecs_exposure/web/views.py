"""The scan list, posture, compliance and scan-to-scan diff pages (GET only)."""

from __future__ import annotations

import math
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ecs_exposure.model import Severity
from ecs_exposure.store import contents, queries
from ecs_exposure.store.diff import KINDS, scans_to_compare
from ecs_exposure.store.engine import Store
from ecs_exposure.web import data, params
from ecs_exposure.web.render import page
from ecs_exposure.web.summary import Diffs

SCANS_LISTED = 200
POSTURE_STATUSES = ("open", "suppressed")
"""Posture entry statuses (``status`` of the JSON result's posture entries)."""
HEADINGS = {"new": "New", "regressed": "Regressed (back after being resolved)",
            "resolved": "Resolved", "unverified": "Gone from a scope that could not be read "
            "whole (not resolved)", "changed": "Severity changed", "active": "Still open"}
"""The diff page's groups, as ``ecs-exposure diff`` names them."""


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


async def scans(request: Request) -> Response:
    """The recorded scans, newest first."""
    return page(request, "scans.html.j2", title="Scans",
                scans=queries.list_scans(_store(request), SCANS_LISTED))


async def posture(request: Request) -> Response:
    """Every weakness of every resource of a scan, filtered and paginated in the database."""
    store = _store(request)
    scan_id = params.scan_id(request, store)
    if scan_id is None:
        return page(request, "empty.html.j2", title="Posture")
    chosen = params.one(request, "severity")
    severity = params.severities(request)[0] if chosen else None
    status = params.one(request, "status")
    if status not in (None, *POSTURE_STATUSES):
        raise params.BadParameter(f"status: expected one of {', '.join(POSTURE_STATUSES)}")
    resource_type, trait = params.one(request, "type"), params.one(request, "trait")
    number = params.number(request, "page", 1)
    result = contents.posture(store, scan_id, severities=(severity,) if severity else (),
                              trait=trait, resource_type=resource_type, status=status,
                              offset=(number - 1) * params.PER_PAGE, limit=params.PER_PAGE)
    current: dict[str, Any] = {"scan": scan_id, "severity": chosen, "type": resource_type,
                               "trait": trait, "status": status}
    return page(request, "posture.html.j2", title="Posture",
                scan=queries.get_scan(store, scan_id), result=result, current=current,
                number=number, pages=max(math.ceil(result.total / params.PER_PAGE), 1),
                choices=data.posture_choices(store, scan_id), statuses=POSTURE_STATUSES,
                severities=[s.name for s in reversed(Severity)])


async def compliance(request: Request) -> Response:
    """The compliance reports the scan was run with (``scan --compliance``)."""
    store = _store(request)
    scan_id = params.scan_id(request, store)
    if scan_id is None:
        return page(request, "empty.html.j2", title="Compliance")
    reports = queries.scan_document(store, scan_id).get("compliance") or {}
    return page(request, "compliance.html.j2", title="Compliance",
                scan=queries.get_scan(store, scan_id), reports=reports)


async def problems(request: Request) -> Response:
    """What a scan could not read: its errors, skipped inputs and incomplete resources."""
    store = _store(request)
    scan_id = params.scan_id(request, store)
    if scan_id is None:
        return page(request, "empty.html.j2", title="Problems")
    return page(request, "problems.html.j2", title="Problems",
                scan=queries.get_scan(store, scan_id),
                found=contents.problems(store, scan_id))


async def scan_diff(request: Request) -> Response:
    """What changed between two scans (``?a=&b=``; default: the last two)."""
    store = _store(request)
    first = params.number(request, "a", 0) or None
    second = params.number(request, "b", 0) or None
    if len(queries.list_scans(store, 2)) < 2:
        return page(request, "empty.html.j2", title="Diff", needs_two=True)
    older, newer = scans_to_compare(store, first, second)
    diffs: Diffs = request.app.state.diffs
    changes = diffs.get(older, newer)
    return page(request, "diff.html.j2", title="Diff", changes=changes, kinds=KINDS,
                headings=HEADINGS, scans=queries.list_scans(store, SCANS_LISTED))
