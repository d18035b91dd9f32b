"""A recorded scan's posture entries (filtered and paginated in SQL) and its problems."""

from __future__ import annotations

from typing import Any

import pytest

from ecs_exposure.model import Severity
from ecs_exposure.store.contents import posture, problems
from ecs_exposure.store.engine import Store, open_store
from ecs_exposure.store.record import record
from support.store_documents import demo_document, document, finding


@pytest.fixture
def store(store_url: str) -> Any:
    with open_store(store_url) as opened:
        yield opened


def test_posture_pages_are_worst_first_and_filtered(store: Store) -> None:
    doc = demo_document()
    scan_id = record(store, doc)
    whole = posture(store, scan_id, limit=1000)
    assert whole.total == len(doc["posture"])
    assert [i.document for i in sorted(whole.items, key=lambda i: i.ordinal)] == doc["posture"]
    assert [i.severity for i in whole.items] == sorted((i.severity for i in whole.items),
                                                       reverse=True)
    clusters = posture(store, scan_id, resource_type="AwsEcsCluster", limit=1000)
    assert clusters.total == sum(e["resource"]["type"] == "AwsEcsCluster"
                                 for e in doc["posture"]) > 0
    trait = doc["posture"][0]["traits"][0]["id"]
    with_trait = posture(store, scan_id, trait=trait, limit=1000)
    assert with_trait.total == sum(any(t["id"] == trait for t in e["traits"])
                                   for e in doc["posture"])
    high = posture(store, scan_id, severities=(Severity.HIGH,), offset=1, limit=2)
    assert len(high.items) <= 2 and {i.severity for i in high.items} <= {Severity.HIGH}


def test_problems_are_listed_as_the_result_lists_them(store: Store) -> None:
    error = {"source": "aws", "message": "AccessDenied", "account": "111122223333",
             "region": "eu-west-1", "operation": "ecs:ListServices"}
    incomplete = {"resource": "arn:aws:ecs:eu-west-1:111122223333:cluster/*",
                  "reasons": ["ecs:ListClusters denied"]}
    doc = document(finding("web"), errors=(error,), incomplete=(incomplete,))
    doc["skipped"] = [{"source": "notes.txt", "message": "not an ECS document"}]
    scan_id = record(store, doc)
    assert problems(store, scan_id) == {"errors": [error], "skipped": doc["skipped"],
                                        "incomplete": [incomplete]}
