"""``--store-retention``: old scans go, open findings and store suppressions stay."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from ecs_exposure.errors import StoreError
from ecs_exposure.store import queries
from ecs_exposure.store.engine import Store, open_store
from ecs_exposure.store.record import record
from ecs_exposure.store.retention import Retention, apply_retention
from support.store_documents import document, finding


@pytest.fixture
def store(store_url: str) -> Any:
    with open_store(store_url) as opened:
        yield opened


@pytest.mark.parametrize(("text", "rule"), [("30", Retention(scans=30)),
                                             ("90d", Retention(days=90)),
                                             (" 7D ", Retention(days=7))])
def test_retention_is_scans_or_days(text: str, rule: Retention) -> None:
    assert Retention.parse(text) == rule


@pytest.mark.parametrize("text", ["0", "-3", "3w", "", "d"])
def test_a_bad_retention_is_refused(text: str) -> None:
    with pytest.raises(StoreError, match="--store-retention"):
        Retention.parse(text)


def test_keeping_the_last_scans_keeps_open_findings(store: Store) -> None:
    web, api = finding("web"), finding("api")
    record(store, document(web, api))
    queries.suppress(store, web["id"], "accepted", "alice")
    record(store, document(web))                   # api resolved
    last = record(store, document(web))
    assert apply_retention(store, Retention(scans=1), queries.now()) == 2
    assert [s.id for s in queries.list_scans(store)] == [last]
    assert [s.finding_id for s in queries.suppressions(store)] == [web["id"]]
    again = record(store, document(web, api))
    states = {r.name: r.state for r in queries.findings(store, again).items}
    assert states == {"web": "suppressed", "api": "new"}


def test_keeping_days_keeps_the_recent_scans(store: Store) -> None:
    now = datetime(2026, 12, 1)
    old = record(store, document(finding("web")), recorded_at=now - timedelta(days=40))
    recent = record(store, document(finding("web")), recorded_at=now - timedelta(days=2))
    assert apply_retention(store, Retention(days=30), now) == 1
    assert [s.id for s in queries.list_scans(store)] == [recent]
    assert old < recent
