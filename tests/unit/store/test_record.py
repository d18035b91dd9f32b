"""Recording a scan: the store gives the JSON result back whole, and each finding's lifecycle
moves on (new, active, resolved, regressed) only where a scan read the finding's scope whole."""

from __future__ import annotations

from typing import Any

import pytest

from ecs_exposure.store import queries
from ecs_exposure.store.engine import Store, open_store
from ecs_exposure.store.record import load_result, record
from support.store_documents import ACCOUNT, REGION, demo_document, document, finding, without


@pytest.fixture
def store(store_url: str) -> Any:
    with open_store(store_url) as opened:
        yield opened


def _states(store: Store, scan_id: int) -> dict[str, str]:
    page = queries.findings(store, scan_id, limit=10_000)
    return {row.name: row.state for row in page.items}


def test_the_store_gives_the_json_result_back_whole(store: Store) -> None:
    doc = demo_document()
    scan_id = record(store, doc, duration_seconds=1.5)
    back = load_result(store, scan_id)
    assert back == doc
    assert list(back) == list(doc)
    info = queries.get_scan(store, scan_id)
    assert (info.accounts, info.regions, info.findings) == (("111122223333",), ("us-east-1",),
                                                            len(doc["findings"]))
    assert info.duration_seconds == 1.5 and info.complete
    assert [i["kind"] for i in info.intel] == ["epss", "kev"]


def test_a_finding_is_new_then_active_then_resolved_then_regressed(store: Store) -> None:
    web, api = finding("web"), finding("api")
    first = record(store, document(web, api))
    second = record(store, document(web, api))
    third = record(store, document(web))
    fourth = record(store, document(web, api))
    assert _states(store, first) == {"web": "new", "api": "new"}
    assert _states(store, second) == {"web": "active", "api": "active"}
    assert _states(store, third) == {"web": "active", "api": "resolved"}
    assert _states(store, fourth) == {"web": "active", "api": "regressed"}
    timeline = queries.finding(store, api["id"]).timeline
    assert [(p.scan_id, p.state) for p in timeline] == [
        (first, "new"), (second, "active"), (third, "resolved"), (fourth, "regressed")]


@pytest.mark.parametrize("unread", [
    {"incomplete": ({"resource": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/*",
                     "reasons": ["ecs:ListClusters denied"]},)},
    {"incomplete": ({"resource": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/prod",
                     "reasons": ["ecs:ListServices denied"]},)},
    {"incomplete": ({"resource": f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/prod/api",
                     "reasons": ["ecs:DescribeServices throttled"]},)},
    {"errors": ({"source": "aws", "message": "AccessDenied", "account": ACCOUNT,
                 "region": REGION, "operation": "ecs:ListServices"},)},
    {"errors": ({"source": "aws", "message": "AccessDenied", "account": ACCOUNT},)},
], ids=["region", "cluster", "service", "region-error", "account-error"])
def test_a_scan_that_could_not_read_the_scope_resolves_nothing_there(
        store: Store, unread: dict[str, Any]) -> None:
    web, api = finding("web"), finding("api")
    record(store, document(web, api))
    partial = record(store, document(web, **unread))
    assert _states(store, partial) == {"web": "active"}
    assert not queries.get_scan(store, partial).complete
    again = record(store, document(web, api))
    assert _states(store, again) == {"web": "active", "api": "active"}


def test_a_scan_of_another_scope_resolves_nothing(store: Store) -> None:
    here = finding("web")
    elsewhere = finding("web", account="444455556666")
    record(store, document(here))
    other = record(store, document(elsewhere))
    assert _states(store, other) == {"web": "new"}
    back = record(store, document(here))
    assert queries.findings(store, back).items[0].state == "active"


def test_an_unreadable_other_cluster_does_not_stop_resolution(store: Store) -> None:
    web, api = finding("web"), finding("api", cluster="staging")
    record(store, document(web, api))
    incomplete = ({"resource": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/prod",
                   "reasons": ["denied"]},)
    later = record(store, document(web, incomplete=incomplete))
    assert _states(store, later) == {"web": "active", "api": "resolved"}


def test_many_findings_resolve_and_return_in_batches(store: Store) -> None:
    many = [finding(f"svc-{n:04d}", ("LOW", "MEDIUM", "HIGH")[n % 3]) for n in range(1200)]
    record(store, document(*many))
    fewer = record(store, document(*many[:100]))
    counts = queries.trend(store)[-1].by_state
    assert (counts["active"], counts["resolved"]) == (100, 1100)
    back = record(store, document(*many))
    assert queries.trend(store)[-1].by_state["regressed"] == 1100
    assert load_result(store, fewer)["findings"] == document(*many[:100])["findings"]
    assert back > fewer


def test_a_finding_gone_in_the_demo_is_resolved_and_the_rest_stay_active(
        store: Store) -> None:
    doc = demo_document()
    record(store, doc)
    fixed = record(store, without(doc, "log-router"))
    states = _states(store, fixed)
    assert states.pop("log-router") == "resolved"
    assert set(states.values()) == {"active"}


def test_two_scans_recorded_at_once_are_recorded_one_after_the_other(store_url: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    many = document(*(finding(f"svc-{n}") for n in range(300)))
    with open_store(store_url) as first, open_store(store_url) as second:
        with ThreadPoolExecutor(2) as pool:
            ids = sorted(f.result() for f in [pool.submit(record, first, many),
                                              pool.submit(record, second, many)])
        counts = {c.scan_id: c.by_state for c in queries.trend(first)}
    assert counts[ids[0]]["new"] == 300 and counts[ids[1]]["active"] == 300
