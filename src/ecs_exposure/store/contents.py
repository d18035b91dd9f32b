"""The rest of a recorded scan, for the dashboard's posture and problem views: posture
entries filtered and paginated in SQL, and the scan's errors, skipped inputs and incomplete
resources as the JSON result lists them (the findings are in :mod:`.queries`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from ecs_exposure.model import Severity
from ecs_exposure.store.engine import Store
from ecs_exposure.store.queries import Page, like_pattern
from ecs_exposure.store.schema import PostureRow, ScanIncomplete, ScanProblem


@dataclass(frozen=True)
class PostureItem:
    """A posture entry of one scan: its filter columns and its JSON document."""

    scan_id: int
    ordinal: int
    id: str
    resource_type: str
    severity: Severity
    status: str
    account: str | None
    region: str | None
    traits: tuple[str, ...]
    document: dict[str, Any]


def posture(store: Store, scan_id: int, *, severities: tuple[Severity, ...] = (),
            trait: str | None = None, resource_type: str | None = None,
            status: str | None = None, offset: int = 0,
            limit: int = 50) -> Page[PostureItem]:
    """One page of a scan's posture entries, worst first, filtered and paginated in SQL."""
    query = select(PostureRow).where(PostureRow.scan_id == scan_id)
    if severities:
        query = query.where(PostureRow.severity.in_([int(s) for s in severities]))
    if trait:
        query = query.where(PostureRow.traits.like(like_pattern(f" {trait} "), escape="\\"))
    for column, value in ((PostureRow.resource_type, resource_type),
                          (PostureRow.status, status)):
        if value:
            query = query.where(column == value)
    with store.session() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(query.order_by(PostureRow.severity.desc(), PostureRow.ordinal)
                               .offset(max(offset, 0)).limit(max(limit, 1)))
        items = tuple(PostureItem(r.scan_id, r.ordinal, r.entry_id, r.resource_type,
                                  Severity(r.severity), r.status, r.account, r.region,
                                  tuple(r.traits.split()), r.document) for r in rows)
        return Page(items, total, offset, limit)


def problems(store: Store, scan_id: int) -> dict[str, list[dict[str, Any]]]:
    """A scan's ``errors``, ``skipped`` inputs and ``incomplete`` resources, as the JSON
    result lists them."""
    with store.session() as session:
        found: dict[str, list[dict[str, Any]]] = {"errors": [], "skipped": [],
                                                  "incomplete": []}
        for p in session.scalars(select(ScanProblem).where(ScanProblem.scan_id == scan_id)
                                 .order_by(ScanProblem.id)):
            entry: dict[str, Any] = {"source": p.source, "message": p.message}
            if p.kind == "error":
                entry.update({k: getattr(p, k) for k in ("account", "region", "operation")
                              if getattr(p, k) is not None})
            found["errors" if p.kind == "error" else "skipped"].append(entry)
        found["incomplete"] = [
            {"resource": i.resource, "reasons": list(i.reasons)} for i in session.scalars(
                select(ScanIncomplete).where(ScanIncomplete.scan_id == scan_id)
                .order_by(ScanIncomplete.id))]
        return found
