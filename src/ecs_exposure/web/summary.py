"""Per-scan aggregates for the overview, the trend and the filter choices, computed once per
scan and kept in memory.

A recorded scan never changes (``record`` only adds the rows of the new scan), so what the
overview groups — counts by severity and lifecycle, trait counts, accounts and regions, the
worst findings, the filter choices — is read once per scan, in one pass over its rows, and
kept. Only store suppressions change afterwards (a finding suppressed in the dashboard shows
at once, before the next scan marks it): those few findings are read on each request through
the ``(finding_id, scan_id)`` index and moved to ``suppressed``. The result equals what
:func:`ecs_exposure.store.queries.trend` computes, without grouping every row of 30 scans on
each page view (a test checks both agree).
"""

from __future__ import annotations

import heapq
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from ecs_exposure.detectors.registry import SPECS
from ecs_exposure.model import Severity
from ecs_exposure.store import queries
from ecs_exposure.store.diff import ScanDiff, diff
from ecs_exposure.store.engine import Store
from ecs_exposure.store.queries import STATES, ScanCounts
from ecs_exposure.store.schema import Scan, ScanFinding

TOP = 10
SLACK = 200
"""Worst findings kept per scan: the top ones stay known after this many are suppressed."""
CACHED = 64
"""Scans whose aggregates are kept (the trend shows 30)."""
_CHUNK = 500


@dataclass(frozen=True)
class Worst:
    """A finding among the worst of a scan (open: not resolved, not suppressed)."""

    id: str
    name: str
    cluster: str | None
    account: str | None
    region: str | None
    severity: Severity
    traits: int


@dataclass(frozen=True)
class Group:
    """Open findings of one account and region, by severity."""

    account: str | None
    region: str | None
    total: int
    by_severity: dict[str, int]


@dataclass
class ScanSummary:
    """A scan's aggregates as recorded (store suppressions not applied)."""

    scan_id: int
    generated_at: str
    cells: Counter[tuple[int, str, bool]] = field(default_factory=Counter)
    """``(severity, lifecycle, marked suppressed)`` → rows."""
    traits: Counter[str] = field(default_factory=Counter)
    groups: Counter[tuple[str | None, str | None, int]] = field(default_factory=Counter)
    worst: list[Worst] = field(default_factory=list)
    facets: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Live:
    """A scan's aggregates with today's store suppressions applied."""

    counts: ScanCounts
    traits: list[tuple[str, int]]
    worst: list[Worst]
    groups: list[Group]


def _summarise(store: Store, scan_id: int, generated_at: str) -> ScanSummary:
    """One pass over the scan's rows (plain tuples: this loop is the cost of a cold cache)."""
    summary = ScanSummary(scan_id, generated_at)
    accounts: set[str | None] = set()
    regions: set[str | None] = set()
    clusters: set[str | None] = set()
    every_trait: set[str] = set()
    cells: Counter[tuple[int, str, bool]] = Counter()
    groups: Counter[tuple[str | None, str | None, int]] = Counter()
    trait_texts: Counter[str] = Counter()
    ranked: list[tuple[int, int, str, str, str | None, str | None, str | None]] = []
    columns = (ScanFinding.finding_id, ScanFinding.severity, ScanFinding.lifecycle,
               ScanFinding.suppressed, ScanFinding.traits, ScanFinding.account,
               ScanFinding.region, ScanFinding.cluster, ScanFinding.name)
    with store.session() as session:
        rows = session.execute(select(*columns).where(ScanFinding.scan_id == scan_id))
        for finding_id, severity, lifecycle, suppressed, traits, account, region, cluster, \
                name in rows:
            cells[(severity, lifecycle, bool(suppressed))] += 1
            accounts.add(account)
            regions.add(region)
            clusters.add(cluster)
            if lifecycle == "resolved" or suppressed:
                every_trait.add(traits)
                continue
            trait_texts[traits] += 1
            groups[(account, region, severity)] += 1
            ranked.append((-severity, -traits.count(" ") + 1, finding_id, name, cluster,
                           account, region))
    for text, count in trait_texts.items():
        for trait in text.split():
            summary.traits[trait] += count
    every_trait.update(trait_texts)
    summary.cells, summary.groups = cells, groups
    summary.worst = [Worst(i, n, c, a, r, Severity(-s), -t)
                     for s, t, i, n, c, a, r in heapq.nsmallest(TOP + SLACK, ranked)]
    summary.facets = {
        "accounts": sorted(v for v in accounts if v is not None),
        "regions": sorted(v for v in regions if v is not None),
        "clusters": sorted(v for v in clusters if v is not None),
        "traits": sorted({t for text in every_trait for t in text.split()})}
    return summary


class Summaries:
    """The in-memory cache of :class:`ScanSummary` (least recently used go first)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._items: OrderedDict[int, ScanSummary] = OrderedDict()
        self._lock = threading.Lock()
        self._pending: dict[int, threading.Lock] = {}

    def _cached(self, scan_id: int) -> ScanSummary | None:
        with self._lock:
            found = self._items.get(scan_id)
            if found is not None:
                self._items.move_to_end(scan_id)
            return found

    def get(self, scan_id: int, generated_at: str) -> ScanSummary:
        """The summary, read once: a second caller asking for a scan being read (the
        start-up warm-up thread and a first visit) waits for that read, not a second one."""
        found = self._cached(scan_id)
        if found is not None:
            return found
        with self._lock:
            pending = self._pending.setdefault(scan_id, threading.Lock())
        with pending:
            found = self._cached(scan_id)
            if found is not None:
                return found
            summary = _summarise(self.store, scan_id, generated_at)
            with self._lock:
                self._items[scan_id] = summary
                self._pending.pop(scan_id, None)
                while len(self._items) > CACHED:
                    self._items.popitem(last=False)
        return summary

    def recent(self, last: int) -> list[ScanSummary]:
        """The ``last`` scans' summaries, oldest first."""
        with self.store.session() as session:
            scans = list(session.execute(select(Scan.id, Scan.generated_at)
                                         .order_by(Scan.id.desc()).limit(last)))[::-1]
        return [self.get(s.id, s.generated_at) for s in scans]


class Diffs:
    """Scan-to-scan diffs, kept once computed: both scans are immutable, so their diff is
    too (:func:`ecs_exposure.store.diff.diff` reads every row of both)."""

    def __init__(self, store: Store, size: int = 16) -> None:
        self.store = store
        self.size = size
        self._items: OrderedDict[tuple[int, int], ScanDiff] = OrderedDict()
        self._lock = threading.Lock()
        self._pending: dict[tuple[int, int], threading.Lock] = {}

    def _cached(self, key: tuple[int, int]) -> ScanDiff | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def get(self, older: int, newer: int) -> ScanDiff:
        """The diff, computed once (concurrent callers wait for the first, as in
        :meth:`Summaries.get`)."""
        key = (older, newer)
        found = self._cached(key)
        if found is not None:
            return found
        with self._lock:
            pending = self._pending.setdefault(key, threading.Lock())
        with pending:
            found = self._cached(key)
            if found is not None:
                return found
            result = diff(self.store, older, newer)
            with self._lock:
                self._items[key] = result
                self._pending.pop(key, None)
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
        return result


def _contextual(trait_id: str) -> bool:
    """Listed for context only (it never makes a finding on its own): left out of the top
    traits, which rank what makes findings. An id the catalog no longer has is kept."""
    spec = SPECS.get(trait_id)
    return spec is not None and spec.contextual


def _suppressed_now(store: Store, today: date) -> set[str]:
    return {s.finding_id for s in queries.suppressions(store) if s.in_force(today)}


def _live_rows(store: Store, scan_ids: Sequence[int],
               ids: Iterable[str]) -> list[Any]:
    """Rows of the given findings in the given scans that a store suppression turns from
    open to suppressed (read through the ``(finding_id, scan_id)`` index)."""
    wanted = sorted(ids)
    rows: list[Any] = []
    if not wanted or not scan_ids:
        return rows
    with store.session() as session:
        for start in range(0, len(wanted), _CHUNK):
            rows.extend(session.execute(
                select(ScanFinding.scan_id, ScanFinding.finding_id, ScanFinding.severity,
                       ScanFinding.lifecycle, ScanFinding.traits, ScanFinding.account,
                       ScanFinding.region)
                .where(ScanFinding.finding_id.in_(wanted[start:start + _CHUNK]),
                       ScanFinding.scan_id.in_(list(scan_ids)),
                       ScanFinding.lifecycle != "resolved",
                       ScanFinding.suppressed.is_(False))))
    return rows


def _counts(summary: ScanSummary, moved: Counter[str]) -> ScanCounts:
    by_severity = {s.name: 0 for s in reversed(Severity)}
    by_state = dict.fromkeys(STATES, 0)
    for (severity, lifecycle, suppressed), count in summary.cells.items():
        state = ("resolved" if lifecycle == "resolved"
                 else "suppressed" if suppressed else lifecycle)
        by_state[state] += count
        if state != "resolved":
            by_severity[Severity(severity).name] += count
    for lifecycle, count in moved.items():
        by_state[lifecycle] -= count
        by_state["suppressed"] += count
    return ScanCounts(summary.scan_id, summary.generated_at, by_severity, by_state)


def trend(cache: Summaries, last: int, today: date) -> list[ScanCounts]:
    """Per scan (the ``last`` ones, oldest first): findings by severity (resolved left out)
    and by state, store suppressions in force ``today`` applied."""
    summaries = cache.recent(last)
    rows = _live_rows(cache.store, [s.scan_id for s in summaries],
                      _suppressed_now(cache.store, today))
    moved: dict[int, Counter[str]] = {}
    for row in rows:
        moved.setdefault(row.scan_id, Counter())[row.lifecycle] += 1
    return [_counts(s, moved.get(s.scan_id, Counter())) for s in summaries]


def live(cache: Summaries, scan_id: int, generated_at: str, today: date) -> Live:
    """One scan's counts, top traits, worst findings and accounts/regions, store
    suppressions in force ``today`` applied."""
    summary = cache.get(scan_id, generated_at)
    suppressed = _suppressed_now(cache.store, today)
    rows = _live_rows(cache.store, [scan_id], suppressed)
    moved: Counter[str] = Counter(r.lifecycle for r in rows)
    traits = Counter(summary.traits)
    groups = Counter(summary.groups)
    for row in rows:
        traits.subtract(row.traits.split())
        groups[(row.account, row.region, row.severity)] -= 1
    by_scope: dict[tuple[str | None, str | None], dict[str, int]] = {}
    for (account, region, severity), count in groups.items():
        if count > 0:
            cell = by_scope.setdefault((account, region),
                                       {s.name: 0 for s in reversed(Severity)})
            cell[Severity(severity).name] += count
    ordered = sorted((Group(a, r, sum(c.values()), c) for (a, r), c in by_scope.items()),
                     key=lambda g: (-g.total, g.account or "", g.region or ""))
    return Live(_counts(summary, moved),
                [(t, n) for t, n in traits.most_common() if n > 0 and not _contextual(t)][:TOP],
                [w for w in summary.worst if w.id not in suppressed][:TOP], ordered)
