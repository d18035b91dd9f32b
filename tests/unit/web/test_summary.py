"""The cached per-scan aggregates agree with the store's own trend query, store suppressions
included, and the overview's top lists leave suppressed and resolved findings out."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from ecs_exposure.store import queries
from ecs_exposure.store.engine import open_store
from ecs_exposure.store.queries import FindingFilter
from ecs_exposure.web import summary
from ecs_exposure.web.app import create_app, warm_in_background
from support.dashboard_store import FIXED, demo_pair


def test_cached_trend_equals_the_store_trend_with_suppressions(store_url: str) -> None:
    with open_store(store_url) as store:
        older, newer = demo_pair(store)
        cache = summary.Summaries(store)
        today = queries.now().date()
        assert summary.trend(cache, 30, today) == queries.trend(store, 30, today)
        rows = queries.findings(store, newer, FindingFilter(states=("active",))).items
        queries.suppress(store, rows[0].id, "accepted", "test")
        queries.suppress(store, rows[1].id, "expired", "test",
                         expires=today - timedelta(days=1))
        assert summary.trend(cache, 30, today) == queries.trend(store, 30, today)
        now = summary.live(cache, newer, "", today)
        assert now.counts.by_state["suppressed"] == 1
        assert rows[0].id not in {w.id for w in now.worst}
        assert rows[1].id in {w.id for w in now.worst}
        assert FIXED not in {w.name for w in now.worst}
        assert sum(g.total for g in now.groups) == sum(
            n for s, n in now.counts.by_state.items() if s not in ("resolved", "suppressed"))
        first = summary.live(cache, older, "", today)
        assert FIXED in {w.name for w in first.worst}


def test_concurrent_readers_share_one_read(store_url: str) -> None:
    """The start-up warm-up thread and a first visit asking for the same scan (or diff) get
    the one object read once, not two reads."""
    with open_store(store_url) as store:
        older, newer = demo_pair(store)
        cache, diffs = summary.Summaries(store), summary.Diffs(store)
        start = threading.Barrier(4)

        def read(_: int) -> tuple[object, object]:
            start.wait()
            return cache.get(newer, ""), diffs.get(older, newer)

        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(read, range(4)))
        assert len({id(s) for s, _ in results}) == 1
        assert len({id(d) for _, d in results}) == 1
        assert cache.get(newer, "") is results[0][0]


def test_warm_up_runs_in_the_background_and_fills_the_caches(store_url: str) -> None:
    with open_store(store_url) as store:
        older, newer = demo_pair(store)
        app = create_app(store)
        warm_in_background(app, 30).join(timeout=60)
        recent = app.state.summaries.recent(30)
        assert [s.scan_id for s in recent] == [older, newer]
        assert app.state.diffs.get(older, newer) is app.state.diffs.get(older, newer)
        assert app.state.summaries.get(newer, "") is recent[-1]
