"""``diff``: new, regressed, resolved, unverified, changed and active findings between two
scans, and which scans a diff compares by default."""

from __future__ import annotations

from typing import Any

import pytest

from ecs_exposure.errors import StoreError
from ecs_exposure.store.diff import diff, scans_to_compare
from ecs_exposure.store.engine import Store, open_store
from ecs_exposure.store.record import record
from support.store_documents import ACCOUNT, REGION, document, finding


@pytest.fixture
def store(store_url: str) -> Any:
    with open_store(store_url) as opened:
        yield opened


def _groups(store: Store, older: int, newer: int) -> dict[str, list[str]]:
    return {kind: [c.name for c in items]
            for kind, items in diff(store, older, newer).groups.items() if items}


def test_every_kind_of_change(store: Store) -> None:
    web, api, batch = finding("web"), finding("api"), finding("batch")
    old = finding("old")
    record(store, document(web, api, batch, old))
    a = record(store, document(web, api, batch))                    # old resolved
    incomplete = ({"resource": f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/prod/batch",
                   "reasons": ["denied"]},)
    b = record(store, document(finding("web", "CRITICAL"), finding("new"), old,
                               incomplete=incomplete))
    assert _groups(store, a, b) == {"new": ["new"], "regressed": ["old"],
                                    "resolved": ["api"], "unverified": ["batch"],
                                    "changed": ["web"]}
    changed = diff(store, a, b).groups["changed"][0]
    assert (changed.previous, changed.severity) == (2 + 1, 4)


def test_resolved_between_the_two_scans_counts(store: Store) -> None:
    web, api = finding("web"), finding("api")
    a = record(store, document(web, api))
    record(store, document(web))
    partial = ({"resource": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/*", "reasons": ["x"]},)
    c = record(store, document(web, incomplete=partial))
    assert _groups(store, a, c) == {"resolved": ["api"], "active": ["web"]}


def test_the_default_is_the_last_two_scans(store: Store) -> None:
    with pytest.raises(StoreError, match="a diff needs two"):
        scans_to_compare(store, None, None)
    ids = [record(store, document(finding("web"))) for _ in range(3)]
    assert scans_to_compare(store, None, None) == (ids[1], ids[2])
    assert scans_to_compare(store, ids[1], None) == (ids[0], ids[1])
    assert scans_to_compare(store, ids[2], ids[0]) == (ids[0], ids[2])
    with pytest.raises(StoreError, match="no scan before"):
        scans_to_compare(store, ids[0], None)
