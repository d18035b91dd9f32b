"""The typed read API over a store, and the one way to change it by hand: store suppressions.

The ``history`` and ``diff`` commands and the dashboard read only through here. Every list is
filtered, sorted, counted and paginated in SQL (10,000 findings × 30 scans never leave the
database), and a finding's *state* is computed in SQL too: ``resolved`` when this scan
resolved it, else ``suppressed`` when the scan marked it or a store suppression in force
covers it now (so a suppression shows at once, before the next scan marks it), else its
lifecycle (``new``, ``active``, ``regressed``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, case, delete, func, literal, or_, select
from sqlalchemy.orm import Session, defer

from ecs_exposure.errors import StoreError
from ecs_exposure.model import Severity
from ecs_exposure.store.engine import Store
from ecs_exposure.store.schema import (
    AuditEntry,
    Finding,
    Scan,
    ScanFinding,
    StoreSuppression,
)

STATES = ("new", "active", "regressed", "resolved", "suppressed")
"""A finding's states in a scan, as :func:`findings` filters and :func:`trend` counts them."""
SORTS = ("severity", "title", "name", "account", "region", "cluster", "state")
T = TypeVar("T")


def now() -> datetime:
    """The store's clock: UTC, without a zone (both back ends store it the same way)."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class ScanInfo:
    """One recorded scan, as ``history`` lists it."""

    id: int
    generated_at: str
    recorded_at: datetime
    duration_seconds: float | None
    tool_version: str
    inputs: tuple[str, ...]
    accounts: tuple[str, ...]
    regions: tuple[str, ...]
    complete: bool
    findings: int
    intel: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class FindingRow:
    """A finding in one scan: the columns lists show and filter on."""

    scan_id: int
    id: str
    kind: str
    severity: Severity
    state: str
    lifecycle: str
    suppressed: bool
    title: str
    resource_type: str
    arn: str
    name: str
    cluster: str | None
    account: str | None
    region: str | None
    reachability: str | None
    traits: tuple[str, ...]


@dataclass(frozen=True)
class FindingFilter:
    """What :func:`findings` keeps; an empty field keeps everything."""

    severities: tuple[Severity, ...] = ()
    states: tuple[str, ...] = ()
    trait: str | None = None
    account: str | None = None
    region: str | None = None
    cluster: str | None = None
    text: str | None = None
    """Case-insensitive substring of the title, name, ARN or cluster."""
    kind: str | None = None
    """``service`` or ``task_definition``."""


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list and the size of the whole filtered list."""

    items: tuple[T, ...]
    total: int
    offset: int
    limit: int


@dataclass(frozen=True)
class TimelinePoint:
    """A finding in one scan that saw it (or resolved it)."""

    scan_id: int
    generated_at: str
    state: str
    severity: Severity


@dataclass(frozen=True)
class SuppressionInfo:
    """A store suppression."""

    finding_id: str
    reason: str
    owner: str | None
    expires: date | None
    created_by: str
    created_at: datetime

    def in_force(self, today: date) -> bool:
        """Not past its expiry day."""
        return self.expires is None or self.expires >= today


@dataclass(frozen=True)
class AuditInfo:
    """One change to a store suppression."""

    at: datetime
    actor: str
    action: str
    finding_id: str
    details: dict[str, Any]


@dataclass(frozen=True)
class FindingDetail:
    """A finding: its row and JSON document in one scan, its timeline, suppression and
    audit log."""

    row: FindingRow
    document: dict[str, Any] | None
    timeline: tuple[TimelinePoint, ...]
    suppression: SuppressionInfo | None
    audit: tuple[AuditInfo, ...] = field(default=())


@dataclass(frozen=True)
class ScanCounts:
    """A scan's findings by severity (resolved ones left out) and by state, for a trend."""

    scan_id: int
    generated_at: str
    by_severity: dict[str, int]
    by_state: dict[str, int]


def _scan_info(scan: Scan) -> ScanInfo:
    return ScanInfo(scan.id, scan.generated_at, scan.recorded_at, scan.duration_seconds,
                    scan.tool_version, tuple(scan.inputs), tuple(scan.accounts),
                    tuple(scan.regions), scan.complete, scan.findings, tuple(scan.intel))


def list_scans(store: Store, limit: int | None = None) -> list[ScanInfo]:
    """Recorded scans, newest first."""
    with store.session() as session:
        query = select(Scan).order_by(Scan.id.desc()).limit(limit)
        return [_scan_info(s) for s in session.scalars(query)]


def get_scan(store: Store, scan_id: int) -> ScanInfo:
    """One scan; :class:`StoreError` when the store has no such scan."""
    with store.session() as session:
        scan = session.get(Scan, scan_id)
        if scan is None:
            raise StoreError(f"store {store.name} holds no scan {scan_id}")
        return _scan_info(scan)


def scan_document(store: Store, scan_id: int) -> dict[str, Any]:
    """The JSON result's members recorded with the scan that are not per finding (summary,
    errors, inputs, intel, suppression uses, guidance…)."""
    with store.session() as session:
        scan = session.get(Scan, scan_id)
        if scan is None:
            raise StoreError(f"store {store.name} holds no scan {scan_id}")
        return dict(scan.document)


def _state(today: date, live: bool = True) -> ColumnElement[str]:
    """The state column: ``live`` counts a store suppression in force ``today`` (lists and
    counts); without it, only what the scan itself marked (a finding's timeline)."""
    if not live:
        return case((ScanFinding.lifecycle == "resolved", literal("resolved")),
                    (ScanFinding.suppressed, literal("suppressed")),
                    else_=ScanFinding.lifecycle)
    suppressed_now = select(StoreSuppression.finding_id).where(
        StoreSuppression.finding_id == ScanFinding.finding_id,
        or_(StoreSuppression.expires.is_(None), StoreSuppression.expires >= today),
    ).exists()
    return case(
        (ScanFinding.lifecycle == "resolved", literal("resolved")),
        (or_(ScanFinding.suppressed, suppressed_now), literal("suppressed")),
        else_=ScanFinding.lifecycle,
    )


def _row(columns: Any) -> FindingRow:
    found: ScanFinding = columns[0]
    return FindingRow(found.scan_id, found.finding_id, found.kind, Severity(found.severity),
                      columns[1], found.lifecycle, found.suppressed, found.title,
                      found.resource_type, found.arn, found.name, found.cluster, found.account,
                      found.region, found.reachability, tuple(found.traits.split()))


def like_pattern(text: str) -> str:
    """A ``LIKE`` pattern matching ``text`` anywhere, its wildcards escaped (``\\``)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _filtered(query: Select[ScanFinding, str], state: ColumnElement[str],
              keep: FindingFilter) -> Select[ScanFinding, str]:
    if keep.severities:
        query = query.where(ScanFinding.severity.in_([int(s) for s in keep.severities]))
    if keep.states:
        query = query.where(state.in_(keep.states))
    if keep.trait:
        query = query.where(ScanFinding.traits.like(like_pattern(f" {keep.trait} "), escape="\\"))
    for column, value in ((ScanFinding.account, keep.account),
                          (ScanFinding.region, keep.region),
                          (ScanFinding.cluster, keep.cluster), (ScanFinding.kind, keep.kind)):
        if value:
            query = query.where(column == value)
    if keep.text:
        query = query.where(ScanFinding.search.like(like_pattern(keep.text.lower()),
                                                    escape="\\"))
    return query


def findings(store: Store, scan_id: int, keep: FindingFilter | None = None,
             sort: str = "severity", descending: bool | None = None, offset: int = 0,
             limit: int = 50, today: date | None = None) -> Page[FindingRow]:
    """One page of a scan's findings (resolved rows included: filter ``states`` to leave
    them out), filtered, sorted and paginated in SQL. ``sort``: one of :data:`SORTS`
    (severity sorts worst first unless ``descending`` is False; the others A→Z unless it is
    True); ties are broken by severity, then id, so pages never overlap."""
    if sort not in SORTS:
        raise StoreError(f"cannot sort findings by {sort!r} (one of {', '.join(SORTS)})")
    state = _state(today or now().date()).label("state")
    # Without its JSON document (``_row`` never reads it; :func:`finding` loads it): a deep
    # page sorted whole rows, documents included, past its OFFSET (page 150: ~4x slower).
    base = _filtered(select(ScanFinding, state).options(
        defer(ScanFinding.document, raiseload=True)).where(ScanFinding.scan_id == scan_id),
                     state, keep or FindingFilter())
    column: ColumnElement[Any] = state if sort == "state" else getattr(ScanFinding, sort)
    down = descending if descending is not None else sort == "severity"
    order = [column.desc() if down else column.asc()]
    if sort != "severity":
        order.append(ScanFinding.severity.desc())
    order.append(ScanFinding.finding_id.asc())
    with store.session() as session:
        total = session.scalar(base.with_only_columns(func.count(),
                                                      maintain_column_froms=True)) or 0
        rows = session.execute(base.order_by(*order).offset(max(offset, 0))
                               .limit(max(limit, 1))).all()
        return Page(tuple(_row(r) for r in rows), total, offset, limit)


def facets(store: Store, scan_id: int) -> dict[str, list[str]]:
    """The distinct accounts, regions, clusters and trait ids of a scan (filter choices)."""
    result: dict[str, list[str]] = {}
    with store.session() as session:
        for name in ("account", "region", "cluster"):
            column = getattr(ScanFinding, name)
            query = (select(column).where(ScanFinding.scan_id == scan_id, column.is_not(None))
                     .distinct().order_by(column))
            result[name + "s"] = list(session.scalars(query))
        traits = session.scalars(select(ScanFinding.traits).where(
            ScanFinding.scan_id == scan_id).distinct())
        result["traits"] = sorted({t for text in traits for t in text.split()})
    return result


def _suppression(row: StoreSuppression | None) -> SuppressionInfo | None:
    return None if row is None else SuppressionInfo(
        row.finding_id, row.reason, row.owner, row.expires, row.created_by, row.created_at)


def _audit(session: Session, finding_id: str | None,
           limit: int | None) -> tuple[AuditInfo, ...]:
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    if finding_id is not None:
        query = query.where(AuditEntry.finding_id == finding_id)
    return tuple(AuditInfo(a.at, a.actor, a.action, a.finding_id, dict(a.details))
                 for a in session.scalars(query))


def finding(store: Store, finding_id: str, scan_id: int | None = None,
            today: date | None = None) -> FindingDetail:
    """A finding in ``scan_id`` (default: the last scan that holds its document), with its
    timeline across every scan that saw or resolved it (each point as that scan marked it),
    its suppression and audit log."""
    live = _state(today or now().date()).label("state")
    state = _state(today or now().date(), live=False).label("marked")
    with store.session() as session:
        query = (select(ScanFinding, live, Scan.generated_at, state).join(Scan)
                 .where(ScanFinding.finding_id == finding_id).order_by(ScanFinding.scan_id))
        rows = session.execute(query).all()
        timeline = tuple(TimelinePoint(r[0].scan_id, r[2], r[3], Severity(r[0].severity))
                         for r in rows)
        chosen = [r for r in rows if (r[0].scan_id == scan_id if scan_id is not None
                                      else r[0].document is not None)]
        if not chosen:
            where = f" in scan {scan_id}" if scan_id is not None else ""
            raise StoreError(f"store {store.name} holds no finding {finding_id}{where}")
        last = chosen[-1]
        return FindingDetail(_row(last), last[0].document, timeline,
                             _suppression(session.get(StoreSuppression, finding_id)),
                             _audit(session, finding_id, None))


def trend(store: Store, last: int = 30, today: date | None = None) -> list[ScanCounts]:
    """Per scan (the ``last`` ones, oldest first): findings by severity and by state."""
    state = _state(today or now().date()).label("state")
    with store.session() as session:
        scans = list(session.execute(select(Scan.id, Scan.generated_at)
                                     .order_by(Scan.id.desc()).limit(last)))[::-1]
        if not scans:
            return []
        counts = {s.id: ScanCounts(s.id, s.generated_at,
                                   {v.name: 0 for v in reversed(Severity)},
                                   dict.fromkeys(STATES, 0)) for s in scans}
        query = (select(ScanFinding.scan_id, ScanFinding.severity, state, func.count())
                 .where(ScanFinding.scan_id >= scans[0].id)
                 .group_by(ScanFinding.scan_id, ScanFinding.severity, state))
        for scan_id, severity, name, count in session.execute(query):
            entry = counts.get(scan_id)
            if entry is None:
                continue
            entry.by_state[name] += count
            if name != "resolved":
                entry.by_severity[Severity(severity).name] += count
        return list(counts.values())


def suppressions(store: Store) -> list[SuppressionInfo]:
    """Every store suppression (expired ones included)."""
    with store.session() as session:
        rows = session.scalars(select(StoreSuppression).order_by(StoreSuppression.finding_id))
        return [s for s in map(_suppression, rows) if s is not None]


def audit_log(store: Store, finding_id: str | None = None,
              limit: int | None = 200) -> list[AuditInfo]:
    """Changes to store suppressions, newest first (of one finding, or all)."""
    with store.session() as session:
        return list(_audit(session, finding_id, limit))


def _described(row: StoreSuppression | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"reason": row.reason, "owner": row.owner,
            "expires": row.expires.isoformat() if row.expires else None}


def suppress(store: Store, finding_id: str, reason: str, actor: str, *,
             owner: str | None = None, expires: date | None = None) -> SuppressionInfo:
    """Accept finding ``finding_id`` (made or changed), logged under ``actor``. The next
    scans with this store mark it suppressed and never count it for ``--fail-on``."""
    if not reason.strip():
        raise StoreError("a suppression needs a reason")
    if not actor.strip():
        raise StoreError("a suppression change needs an actor for the audit log")
    at = now()
    with store.session() as session:
        if session.get(Finding, finding_id) is None:
            raise StoreError(f"store {store.name} holds no finding {finding_id}")
        row = session.get(StoreSuppression, finding_id)
        before = _described(row)
        if row is None:
            row = StoreSuppression(finding_id=finding_id, reason=reason, owner=owner,
                                   expires=expires, created_by=actor, created_at=at)
            session.add(row)
        else:
            row.reason, row.owner, row.expires = reason, owner, expires
        session.add(AuditEntry(at=at, actor=actor, action="suppress", finding_id=finding_id,
                               details={"after": _described(row), "before": before}))
        session.flush()
        info = _suppression(row)
    assert info is not None
    return info


def unsuppress(store: Store, finding_id: str, actor: str) -> bool:
    """Remove the store suppression of ``finding_id``, logged under ``actor``; False when
    there was none (nothing is logged then)."""
    with store.session() as session:
        row = session.get(StoreSuppression, finding_id)
        if row is None:
            return False
        before = _described(row)
        session.execute(delete(StoreSuppression)
                        .where(StoreSuppression.finding_id == finding_id))
        session.add(AuditEntry(at=now(), actor=actor, action="unsuppress",
                               finding_id=finding_id, details={"after": None, "before": before}))
    return True


__all__ = [
    "SORTS", "STATES", "AuditInfo", "FindingDetail", "FindingFilter", "FindingRow", "Page",
    "ScanCounts", "ScanInfo", "SuppressionInfo", "TimelinePoint", "audit_log", "facets",
    "finding", "findings", "get_scan", "list_scans", "now", "scan_document", "suppress",
    "suppressions", "trend", "unsuppress",
]
