"""Record a scan: the JSON result, split into rows, and every finding's lifecycle moved on.

The input is the JSON result as :mod:`ecs_exposure.reporters.json_report` builds it, so the
store holds exactly what the result holds (secrets masked, nothing more) and
:func:`load_result` gives it back whole. Rows are written with one ``executemany`` per table
(SQLAlchemy's bulk ``insert()`` with a list of parameter sets), never one ORM object per row:
10,000 findings take seconds on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Connection, case, exists, func, insert, literal, select, update
from sqlalchemy.orm import Session

from ecs_exposure.errors import StoreError
from ecs_exposure.model import Severity
from ecs_exposure.store.contents import problems
from ecs_exposure.store.engine import Store
from ecs_exposure.store.lifecycle import Known, Scope, present_state, resolved
from ecs_exposure.store.queries import now
from ecs_exposure.store.schema import (
    Base,
    Finding,
    PostureRow,
    Scan,
    ScanFinding,
    ScanImage,
    ScanIncomplete,
    ScanProblem,
)
from ecs_exposure.store.scope import accounts_and_regions, document_scope

if TYPE_CHECKING:
    from ecs_exposure.exposure.compliance import ComplianceReport
    from ecs_exposure.model import ScanResult
    from ecs_exposure.reporters.context import ReportContext

SPLIT = ("findings", "task_definition_findings", "posture", "images", "errors", "skipped",
         "incomplete")
"""Members of the JSON result kept in their own tables; the rest is the scan's document."""
ORDER = ("schema", "generated_at", "tool", "summary", "findings", "task_definition_findings",
         "posture", "compliance", "errors", "skipped", "inputs", "images", "unscanned_images",
         "intel", "incomplete", "suppressions", "baseline", "guidance")
"""The JSON result's members in its order (``json_report``), to give a recorded one back."""
_KINDS = {"findings": "service", "task_definition_findings": "task_definition"}


def _traits(item: Mapping[str, Any]) -> str:
    ids = dict.fromkeys(str(t.get("id")) for t in item.get("traits") or ())
    return " " + " ".join(ids) + " " if ids else " "


def _finding_row(scan_id: int, kind: str, position: int,
                 item: Mapping[str, Any]) -> dict[str, Any]:
    resource = item.get("resource") or {}
    return {
        "scan_id": scan_id, "finding_id": item["id"], "kind": kind, "position": position,
        "severity": int(Severity.parse(str(item.get("severity", "informational")))),
        "lifecycle": "new", "suppressed": item.get("status") == "suppressed",
        "title": str(item.get("title") or ""), "resource_type": str(resource.get("type") or ""),
        "arn": str(resource.get("arn") or ""), "name": str(resource.get("name") or ""),
        "cluster": resource.get("cluster"), "account": resource.get("account"),
        "region": resource.get("region"), "reachability": item.get("reachability"),
        "traits": _traits(item), "document": dict(item),
        "search": search_text(str(item.get("title") or ""), str(resource.get("name") or ""),
                              str(resource.get("arn") or ""), resource.get("cluster")),
    }


def search_text(title: str, name: str, arn: str, cluster: str | None) -> str:
    """The ``search`` column: what the free-text filter matches, lower-cased once here."""
    return "\n".join((title, name, arn, cluster or "")).lower()


def _known(session: Session, ids: Iterable[str]) -> dict[str, Known]:
    """Every open identity, and the given ones whatever their state."""
    columns = (Finding.id, Finding.lifecycle, Finding.arn, Finding.account, Finding.region)
    known = {r.id: Known(*r) for r in session.execute(
        select(*columns).where(Finding.lifecycle != "resolved"))}
    wanted = [i for i in ids if i not in known]
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        known.update((r.id, Known(*r)) for r in session.execute(
            select(*columns).where(Finding.id.in_(chunk))))
    return known


def _resolution_rows(session: Session, scan_id: int, gone: list[str]) -> list[dict[str, Any]]:
    """A ``resolved`` row per gone identity, copied from the last scan that saw it."""
    by_scan: dict[int, list[str]] = {}
    for start in range(0, len(gone), 500):
        for finding_id, seen in session.execute(select(Finding.id, Finding.last_scan_id).where(
                Finding.id.in_(gone[start:start + 500]))):
            by_scan.setdefault(seen, []).append(finding_id)
    rows: list[dict[str, Any]] = []
    skip = {"scan_id", "finding_id", "lifecycle", "document", "position"}
    for seen, ids in by_scan.items():
        for start in range(0, len(ids), 500):
            for row in session.scalars(select(ScanFinding).where(
                    ScanFinding.scan_id == seen,
                    ScanFinding.finding_id.in_(ids[start:start + 500]))):
                values = {c: getattr(row, c) for c in ScanFinding.__table__.columns.keys()
                          if c not in skip}
                rows.append({**values, "scan_id": scan_id, "finding_id": row.finding_id,
                             "lifecycle": "resolved", "document": None,
                             "position": -1})
    return rows


def record(store: Store, document: Mapping[str, Any], *, scope: Iterable[Scope] = (),
           duration_seconds: float | None = None,
           recorded_at: datetime | None = None) -> int:
    """Record the JSON result ``document`` and return the new scan's id. ``scope``: the
    ``(account, region)`` pairs the scan read (:func:`.scope.inventory_scope`), added to those
    of the result's own findings and posture."""
    covered = set(scope) | document_scope(document)
    accounts, regions = accounts_and_regions(covered)
    errors = list(document.get("errors") or ())
    incomplete = list(document.get("incomplete") or ())
    rest = {k: v for k, v in document.items() if k not in SPLIT}
    with store.session() as session:
        _one_writer(session)
        scan = Scan(generated_at=str(document.get("generated_at") or ""),
                    recorded_at=recorded_at or now(), duration_seconds=duration_seconds,
                    tool_version=str((document.get("tool") or {}).get("version") or ""),
                    inputs=list(document.get("inputs") or ()), accounts=accounts,
                    regions=regions, scope=sorted(([a, r] for a, r in covered),
                                                  key=lambda p: (p[0] or "", p[1] or "")),
                    intel=list(document.get("intel") or ()),
                    complete=not errors and not incomplete,
                    findings=len(document.get("findings") or ()), document=rest)
        session.add(scan)
        session.flush()
        _write_findings(session, scan.id, document, covered, incomplete, errors)
        _write_rest(session, scan.id, document)
        return scan.id


WRITER_LOCK = 0x45435345
"""PostgreSQL advisory lock key held while a scan is recorded."""


def _one_writer(session: Session) -> None:
    """One scan is recorded at a time per store, so two scans finishing together cannot both
    insert the same new identity or read each other's half-moved lifecycle. PostgreSQL: a
    transaction-scoped advisory lock; SQLite: the scan row is the transaction's first
    statement, a write, so the second writer waits for the file's write lock (the engine's
    busy timeout)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(WRITER_LOCK)))


def _write_findings(session: Session, scan_id: int, document: Mapping[str, Any],
                    covered: set[Scope], incomplete: list[Mapping[str, Any]],
                    errors: list[Mapping[str, Any]]) -> None:
    rows = [_finding_row(scan_id, kind, n, item) for member, kind in _KINDS.items()
            for n, item in enumerate(document.get(member) or ())]
    rows = list({row["finding_id"]: row for row in rows}.values())
    known = _known(session, (r["finding_id"] for r in rows))
    for row in rows:
        previous = known.get(row["finding_id"])
        row["lifecycle"] = present_state(previous.lifecycle if previous else None)
    gone = resolved(known.values(), {r["finding_id"] for r in rows}, covered, incomplete,
                    errors)
    gone_rows = _resolution_rows(session, scan_id, gone)
    connection = session.connection()
    if rows or gone_rows:
        connection.execute(insert(SCAN_FINDINGS), rows + gone_rows)
    _move_identities(connection, scan_id)


SCAN_FINDINGS = Base.metadata.tables[ScanFinding.__tablename__]
FINDINGS = Base.metadata.tables[Finding.__tablename__]


def _move_identities(connection: Connection, scan_id: int) -> None:
    """Bring every identity up to this scan's rows in three set-based statements (no
    statement per finding): seen ones take their row's lifecycle, severity and title; unseen
    ones are inserted; resolved ones are marked.

    The first is an ``UPDATE findings … FROM scan_findings`` join (PostgreSQL; SQLite ≥ 3.33),
    not a correlated subquery per column: PostgreSQL, with no statistics yet for the new scan
    id, planned the subquery as a walk of the ``(scan_id, severity)`` index for each identity,
    which took minutes on a store of 30 scans × 10,000 findings."""
    this = SCAN_FINDINGS.alias("this")
    connection.execute(update(FINDINGS).where(
        this.c.scan_id == scan_id, this.c.finding_id == FINDINGS.c.id,
        this.c.lifecycle != "resolved").values(
        lifecycle=this.c.lifecycle, severity=this.c.severity, title=this.c.title,
        last_scan_id=scan_id,
        changed_scan_id=case((FINDINGS.c.lifecycle != this.c.lifecycle, scan_id),
                             else_=FINDINGS.c.changed_scan_id)))
    fresh = select(this.c.finding_id, this.c.lifecycle, this.c.severity, this.c.title,
                   this.c.arn, this.c.account, this.c.region, literal(scan_id),
                   literal(scan_id), literal(scan_id)).where(
        this.c.scan_id == scan_id, this.c.lifecycle == "new",
        ~exists().where(FINDINGS.c.id == this.c.finding_id))
    connection.execute(insert(FINDINGS).from_select(
        ["id", "lifecycle", "severity", "title", "arn", "account", "region", "first_scan_id",
         "last_scan_id", "changed_scan_id"], fresh))
    gone = select(this.c.finding_id).where(this.c.scan_id == scan_id,
                                           this.c.lifecycle == "resolved")
    connection.execute(update(FINDINGS).where(FINDINGS.c.id.in_(gone)).values(
        lifecycle="resolved", changed_scan_id=scan_id))


def _write_rest(session: Session, scan_id: int, document: Mapping[str, Any]) -> None:
    posture = [{"scan_id": scan_id, "ordinal": n, "entry_id": str(e.get("id")),
                "resource_type": str((e.get("resource") or {}).get("type") or ""),
                "severity": int(Severity.parse(str(e.get("severity", "informational")))),
                "status": str(e.get("status") or "open"),
                "account": (e.get("resource") or {}).get("account"),
                "region": (e.get("resource") or {}).get("region"),
                "traits": _traits(e), "document": dict(e)}
               for n, e in enumerate(document.get("posture") or ())]
    problems = [{"scan_id": scan_id, "kind": kind, "source": str(e.get("source") or ""),
                 "message": str(e.get("message") or ""), "account": e.get("account"),
                 "region": e.get("region"), "operation": e.get("operation")}
                for kind, member in (("error", "errors"), ("skipped", "skipped"))
                for e in document.get(member) or ()]
    incomplete = [{"scan_id": scan_id, "resource": str(i.get("resource") or ""),
                   "reasons": list(i.get("reasons") or ())}
                  for i in document.get("incomplete") or ()]
    images = [{"scan_id": scan_id, "image": image, "document": listing}
              for image, listing in (document.get("images") or {}).items()]
    connection = session.connection()
    for table, rows in ((PostureRow, posture), (ScanProblem, problems),
                        (ScanIncomplete, incomplete), (ScanImage, images)):
        if rows:
            connection.execute(insert(Base.metadata.tables[table.__tablename__]), rows)


def load_result(store: Store, scan_id: int) -> dict[str, Any]:
    """The JSON result of a recorded scan, put back together (members in the result's
    order; a member the result did not have is left out)."""
    with store.session() as session:
        scan = session.get(Scan, scan_id)
        if scan is None:
            raise StoreError(f"store {store.name} holds no scan {scan_id}")
        parts: dict[str, Any] = dict(scan.document)
        for member, kind in _KINDS.items():
            parts[member] = list(session.scalars(
                select(ScanFinding.document).where(
                    ScanFinding.scan_id == scan_id, ScanFinding.kind == kind,
                    ScanFinding.position >= 0).order_by(ScanFinding.position)))
        parts["posture"] = list(session.scalars(select(PostureRow.document).where(
            PostureRow.scan_id == scan_id).order_by(PostureRow.ordinal)))
        parts["images"] = {i.image: i.document for i in session.scalars(
            select(ScanImage).where(ScanImage.scan_id == scan_id))}
    parts.update(problems(store, scan_id))
    ordered = {key: parts.pop(key) for key in ORDER if key in parts}
    return {**ordered, **parts}


def record_result(store: Store, result: ScanResult, *, context: ReportContext | None = None,
                  compliance: tuple[ComplianceReport, ...] = (), scope: Iterable[Scope] = (),
                  duration_seconds: float | None = None) -> int:
    """Record a scan's result exactly as the JSON reporter renders it (with the same context
    and compliance reports), so the store and ``--format json`` never disagree; with
    ``--include fixed-revisions``, because the dashboard offers each finding's fixed task
    definition for download and the compact result's JSON Patch needs the running revision,
    which the store does not hold, and with every trait field (evidence locations, each
    trait's title and remediation), which the dashboard's finding page shows."""
    from ecs_exposure.reporters.json_report import (
        EVERY_FIELD,
        FIXED_REVISIONS,
        result_dict,
    )

    document = orjson.loads(orjson.dumps(result_dict(result, context, compliance,
                                                     EVERY_FIELD | {FIXED_REVISIONS})))
    return record(store, document, scope=scope, duration_seconds=duration_seconds)
