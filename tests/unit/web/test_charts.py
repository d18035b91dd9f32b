"""Trend chart geometry: stacked segments fill each bar to its total, bars stay inside the
drawing, the axis maximum is round and covers the tallest bar."""

from __future__ import annotations

import pytest

from ecs_exposure.store.queries import ScanCounts
from ecs_exposure.web import charts


def _point(scan: int, **counts: int) -> ScanCounts:
    return ScanCounts(scan, f"2026-12-{scan:02d}T00:00:00Z", counts, {})


def test_stacked_bars() -> None:
    drawn = charts.trend([_point(1, CRITICAL=1, HIGH=4, MEDIUM=5),
                          _point(2, HIGH=3, MEDIUM=5), _point(3)])
    assert [b.total for b in drawn.bars] == [10, 8, 0]
    first = drawn.bars[0]
    assert [s.severity for s in first.segments] == ["CRITICAL", "HIGH", "MEDIUM"]
    assert first.segments[0].y + first.segments[0].height == pytest.approx(drawn.base)
    for lower, upper in zip(first.segments, first.segments[1:], strict=False):
        assert upper.y + upper.height == pytest.approx(lower.y, abs=0.02)
    assert drawn.ticks[-1].value >= 10 and drawn.ticks[0].value == 0
    assert all(charts.LEFT <= b.x and b.x + b.width <= charts.WIDTH for b in drawn.bars)
    assert drawn.bars[2].segments == () and "none" in drawn.bars[2].title
    assert "scan 1 (2026-12-01T00:00:00Z): 10 seen — 1 critical, 4 high, 5 medium" in \
        first.title


@pytest.mark.parametrize("top", [0, 1, 7, 10, 99, 101, 1234, 10_000, 123_456])
def test_axis_maximum_is_round_and_covers(top: int) -> None:
    maximum, step = charts._nice(top)
    assert maximum >= top and maximum % step == 0 and maximum // step <= 5
    assert str(step).rstrip("0") in ("1", "2", "25", "5")


def test_meters_scale_to_the_largest() -> None:
    bars = charts.meters([("a", 10), ("b", 5), ("c", 0)], width=100)
    assert [m.width for m in bars] == [100, 50, 1]
