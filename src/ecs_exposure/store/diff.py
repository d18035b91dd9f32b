"""What changed between two recorded scans (``ecs-exposure diff``).

A finding of the newer scan absent from the older one is ``new`` when the store never saw it
before, ``regressed`` when it was seen before and is back. A finding of the older scan absent
from the newer one is ``resolved`` when a scan in between (or the newer one) resolved it under
the lifecycle rule (:mod:`ecs_exposure.store.lifecycle`: a complete read of its scope), else
``unverified``: gone from the list, but not from a scope that was read whole, so nobody may
call it fixed. A finding in both is ``changed`` when its severity moved, else ``active``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from ecs_exposure.errors import StoreError
from ecs_exposure.model import Severity
from ecs_exposure.store.engine import Store
from ecs_exposure.store.queries import ScanInfo, get_scan, list_scans
from ecs_exposure.store.schema import ScanFinding

KINDS = ("new", "regressed", "resolved", "unverified", "changed", "active")
"""The groups of a diff, in the order they are printed."""
_CHUNK = 500


@dataclass(frozen=True)
class Change:
    """One finding in a diff."""

    id: str
    title: str
    severity: Severity
    """In the newer scan (in the older one for resolved and unverified findings)."""
    previous: Severity | None
    """In the older scan, when it was there."""
    resource_type: str
    arn: str
    name: str
    cluster: str | None
    account: str | None
    region: str | None


@dataclass(frozen=True)
class ScanDiff:
    """Two scans and the findings of each group of :data:`KINDS`."""

    older: ScanInfo
    newer: ScanInfo
    groups: dict[str, tuple[Change, ...]]


def _rows(session: Session, scan_id: int) -> dict[str, ScanFinding]:
    query = (select(ScanFinding).where(ScanFinding.scan_id == scan_id,
                                       ScanFinding.lifecycle != "resolved")
             .options(defer(ScanFinding.document)))
    return {row.finding_id: row for row in session.scalars(query)}


def _chunks(ids: Iterable[str]) -> Iterable[list[str]]:
    items = sorted(ids)
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]


def _ids_where(session: Session, ids: Iterable[str], *conditions: object) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(ids):
        found.update(session.scalars(select(ScanFinding.finding_id).distinct().where(
            ScanFinding.finding_id.in_(chunk), *conditions)))   # type: ignore[arg-type]
    return found


def _change(row: ScanFinding, previous: ScanFinding | None) -> Change:
    return Change(row.finding_id, row.title, Severity(row.severity),
                  Severity(previous.severity) if previous is not None else None,
                  row.resource_type, row.arn, row.name, row.cluster, row.account, row.region)


def _sorted(changes: Iterable[Change]) -> tuple[Change, ...]:
    return tuple(sorted(changes, key=lambda c: (-c.severity, c.title, c.id)))


def scans_to_compare(store: Store, first: int | None, second: int | None) -> tuple[int, int]:
    """The scans a diff compares, older first: both given, or the given one and the scan
    before it, or the last two."""
    if first is not None and second is not None:
        return (first, second) if first <= second else (second, first)
    if first is not None:
        before = [s.id for s in list_scans(store) if s.id < first]
        if not before:
            raise StoreError(f"store {store.name} holds no scan before scan {first}")
        return before[0], first
    last = list_scans(store, limit=2)
    if len(last) < 2:
        raise StoreError(f"store {store.name} holds {len(last)} scan(s); a diff needs two")
    return last[1].id, last[0].id


def diff(store: Store, older_id: int, newer_id: int) -> ScanDiff:
    """The changes from scan ``older_id`` to scan ``newer_id``."""
    older, newer = get_scan(store, older_id), get_scan(store, newer_id)
    with store.session() as session:
        before, after = _rows(session, older_id), _rows(session, newer_id)
        appeared = [i for i in after if i not in before]
        seen_earlier = _ids_where(session, appeared, ScanFinding.scan_id <= older_id,
                                  ScanFinding.lifecycle != "resolved")
        gone = [i for i in before if i not in after]
        resolved = _ids_where(session, gone, ScanFinding.scan_id > older_id,
                              ScanFinding.scan_id <= newer_id,
                              ScanFinding.lifecycle == "resolved")
    both = [i for i in after if i in before]
    groups = {
        "new": _sorted(_change(after[i], None) for i in appeared if i not in seen_earlier),
        "regressed": _sorted(_change(after[i], None) for i in appeared if i in seen_earlier),
        "resolved": _sorted(_change(before[i], before[i]) for i in gone if i in resolved),
        "unverified": _sorted(_change(before[i], before[i]) for i in gone
                              if i not in resolved),
        "changed": _sorted(_change(after[i], before[i]) for i in both
                           if after[i].severity != before[i].severity),
        "active": _sorted(_change(after[i], before[i]) for i in both
                          if after[i].severity == before[i].severity),
    }
    return ScanDiff(older, newer, groups)
