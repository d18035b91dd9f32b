"""The dashboard's own read queries, over the store's schema: what the overview groups and the
posture list pages. The findings list, a finding, trends and suppressions come from
:mod:`ecs_exposure.store.queries`; these add what only the dashboard needs, each one SQL
statement grouped or paginated in the database.

"Open" here means what the overview counts: seen by the scan (not a resolution row) and not
suppressed, by the scan or by a store suppression in force today.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Text, and_, cast, func, not_, or_, select

from ecs_exposure.errors import StoreError
from ecs_exposure.model import Severity
from ecs_exposure.store.engine import Store
from ecs_exposure.store.queries import Page
from ecs_exposure.store.schema import PostureRow, Scan, ScanFinding, StoreSuppression

TOP = 10


@dataclass(frozen=True)
class Group:
    """Open findings of one account and region: how many, and how many of each severity."""

    account: str | None
    region: str | None
    total: int
    by_severity: dict[str, int]


@dataclass(frozen=True)
class Worst:
    """A service (or task definition) among the worst of a scan."""

    id: str
    name: str
    cluster: str | None
    account: str | None
    region: str | None
    severity: Severity
    traits: int


@dataclass(frozen=True)
class Overview:
    """What the overview page shows of one scan besides its counts and the trend."""

    traits: list[tuple[str, int]]
    worst: list[Worst]
    groups: list[Group]


def latest_scan(store: Store) -> int | None:
    """The newest scan's id (``None`` for an empty store)."""
    with store.session() as session:
        return session.scalar(select(func.max(Scan.id)))


def _open(today: date) -> ColumnElement[bool]:
    suppressed_now = select(StoreSuppression.finding_id).where(
        StoreSuppression.finding_id == ScanFinding.finding_id,
        or_(StoreSuppression.expires.is_(None), StoreSuppression.expires >= today),
    ).exists()
    return and_(ScanFinding.lifecycle != "resolved", not_(ScanFinding.suppressed),
                not_(suppressed_now))


def overview(store: Store, scan_id: int, today: date) -> Overview:
    """Top traits (by open findings carrying them), the worst open findings, and open
    findings by account and region."""
    where = (ScanFinding.scan_id == scan_id, _open(today))
    with store.session() as session:
        counted: Counter[str] = Counter()
        for text in session.scalars(select(ScanFinding.traits).where(*where)):
            counted.update(text.split())
        trait_count = (func.length(ScanFinding.traits)
                       - func.length(func.replace(ScanFinding.traits, " ", "")) - 1)
        worst = [Worst(r.finding_id, r.name, r.cluster, r.account, r.region,
                       Severity(r.severity), int(r.n))
                 for r in session.execute(
                     select(ScanFinding.finding_id, ScanFinding.name, ScanFinding.cluster,
                            ScanFinding.account, ScanFinding.region, ScanFinding.severity,
                            trait_count.label("n"))
                     .where(*where)
                     .order_by(ScanFinding.severity.desc(), trait_count.desc(),
                               ScanFinding.finding_id).limit(TOP))]
        groups: dict[tuple[str | None, str | None], Group] = {}
        for account, region, severity, count in session.execute(
                select(ScanFinding.account, ScanFinding.region, ScanFinding.severity,
                       func.count()).where(*where)
                .group_by(ScanFinding.account, ScanFinding.region, ScanFinding.severity)):
            group = groups.setdefault((account, region), Group(
                account, region, 0, {s.name: 0 for s in reversed(Severity)}))
            group.by_severity[Severity(severity).name] += count
            groups[(account, region)] = Group(account, region, group.total + count,
                                               group.by_severity)
    ordered = sorted(groups.values(), key=lambda g: (-g.total, g.account or "", g.region or ""))
    return Overview(counted.most_common(TOP), worst, ordered)


@dataclass(frozen=True)
class PostureFilter:
    """What :func:`posture` keeps; an empty field keeps everything."""

    severity: Severity | None = None
    resource_type: str | None = None
    trait: str | None = None
    status: str | None = None
    text: str | None = None


def posture(store: Store, scan_id: int, keep: PostureFilter, offset: int = 0,
            limit: int = 50) -> Page[dict[str, Any]]:
    """One page of a scan's posture entries (worst first, then in the scan's order)."""
    query = select(PostureRow.document).where(PostureRow.scan_id == scan_id)
    if keep.severity is not None:
        query = query.where(PostureRow.severity == int(keep.severity))
    if keep.resource_type:
        query = query.where(PostureRow.resource_type == keep.resource_type)
    if keep.status:
        query = query.where(PostureRow.status == keep.status)
    if keep.trait:
        query = query.where(PostureRow.traits.like(_like(f" {keep.trait} "), escape="\\"))
    if keep.text:
        query = query.where(cast(PostureRow.document, Text).ilike(_like(keep.text),
                                                                  escape="\\"))
    with store.session() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(query.order_by(PostureRow.severity.desc(), PostureRow.ordinal)
                               .offset(max(offset, 0)).limit(max(limit, 1)))
        return Page(tuple(dict(r) for r in rows), total, offset, limit)


def _like(text: str) -> str:
    """``%text%`` with LIKE's wildcards in ``text`` taken literally (escape ``\\``)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def posture_choices(store: Store, scan_id: int) -> dict[str, list[str]]:
    """Resource types and trait ids of a scan's posture (filter choices)."""
    with store.session() as session:
        types = list(session.scalars(select(PostureRow.resource_type)
                                     .where(PostureRow.scan_id == scan_id).distinct()
                                     .order_by(PostureRow.resource_type)))
        traits = session.scalars(select(PostureRow.traits)
                                 .where(PostureRow.scan_id == scan_id).distinct())
        return {"types": types, "traits": sorted({t for text in traits for t in text.split()})}


def require_scan(store: Store, scan_id: int) -> None:
    """:class:`StoreError` when the store holds no such scan."""
    with store.session() as session:
        if session.get(Scan, scan_id) is None:
            raise StoreError(f"store {store.name} holds no scan {scan_id}")
