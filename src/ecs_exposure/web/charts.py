"""Charts drawn on the server as inline SVG geometry (no script, no chart library): the
trend of open findings by severity over scans, and horizontal bars for top lists.

The templates only place what is computed here, so a test can check the geometry without a
browser, and the page needs nothing but its own stylesheet to show them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ecs_exposure.store.queries import ScanCounts

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 10, 28
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL")


@dataclass(frozen=True)
class Segment:
    """One severity's part of one scan's bar."""

    severity: str
    count: int
    y: float
    height: float


@dataclass(frozen=True)
class Bar:
    """One scan: its stacked severities, and what its tooltip says."""

    scan_id: int
    label: str
    x: float
    width: float
    total: int
    segments: tuple[Segment, ...]
    title: str


@dataclass(frozen=True)
class Tick:
    """A horizontal grid line and its value."""

    y: float
    value: int


@dataclass(frozen=True)
class Trend:
    """The trend chart: bars oldest to newest, y ticks, the size of the drawing."""

    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    width: int
    height: int
    base: float
    title: str


def _nice(top: int) -> tuple[int, int]:
    """A round axis maximum ≥ ``top`` and the step of its 4-5 ticks."""
    if top <= 4:
        return 4, 1
    step = 1
    while top / step > 5:
        for factor in (2, 2.5, 2):
            step = int(step * factor)
            if top / step <= 5:
                break
    return step * -(-top // step), step


def trend(points: Sequence[ScanCounts]) -> Trend:
    """Stacked bars of each scan's open findings by severity (worst at the bottom)."""
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    base = TOP + inner_h
    totals = [sum(p.by_severity.get(s, 0) for s in SEVERITIES) for p in points]
    top, step = _nice(max(totals, default=0))
    slot = inner_w / max(len(points), 1)
    width = max(min(slot * 0.7, 48), 2)
    bars = []
    for index, (point, total) in enumerate(zip(points, totals, strict=True)):
        y: float = base
        segments = []
        for severity in SEVERITIES:
            count = point.by_severity.get(severity, 0)
            if not count:
                continue
            height = inner_h * count / top
            y -= height
            segments.append(Segment(severity, count, round(y, 2), round(height, 2)))
        parts = ", ".join(f"{s.count} {s.severity.lower()}" for s in segments) or "none"
        x = LEFT + slot * index + (slot - width) / 2
        bars.append(Bar(point.scan_id, f"#{point.scan_id}", round(x, 2), round(width, 2),
                        total, tuple(segments),
                        f"scan {point.scan_id} ({point.generated_at}): {total} seen — {parts}"))
    ticks = tuple(Tick(round(base - inner_h * v / top, 2), v) for v in range(0, top + 1, step))
    summary = "; ".join(f"scan {b.scan_id}: {b.total}" for b in bars)
    return Trend(tuple(bars), ticks, WIDTH, HEIGHT, base,
                 f"Findings seen by severity over the last {len(bars)} scans: {summary}")


@dataclass(frozen=True)
class Meter:
    """A horizontal bar of a top list, scaled to the largest value."""

    label: str
    value: int
    width: float


def meters(items: Sequence[tuple[str, int]], width: int = 160) -> list[Meter]:
    """Bars for ``(label, value)`` pairs, the largest ``width`` units long."""
    top = max((v for _, v in items), default=0) or 1
    return [Meter(label, value, round(max(width * value / top, 1), 2))
            for label, value in items]
