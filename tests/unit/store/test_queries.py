"""The read API: filters, sorts and pages in SQL, a finding with its timeline, trend counts,
and store suppressions with their audit log (which survive reopening the store)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from ecs_exposure.errors import StoreError
from ecs_exposure.model import Severity
from ecs_exposure.store import queries
from ecs_exposure.store.engine import Store, open_store
from ecs_exposure.store.queries import FindingFilter
from ecs_exposure.store.record import record
from support.store_documents import document, finding, without

FINDINGS = [
    finding("web", "CRITICAL", traits=("internet-reachable", "privileged-container")),
    finding("api", "HIGH", cluster="staging", traits=("plaintext-credentials",)),
    finding("batch", "MEDIUM", region="us-east-1"),
    finding("cron_100%", "LOW", title="ECS service cron_100% runs as root"),
    finding("worker", "HIGH", account="444455556666"),
]


@pytest.fixture
def store(store_url: str) -> Any:
    with open_store(store_url) as opened:
        opened.url = store_url                       # type: ignore[attr-defined]
        yield opened


@pytest.fixture
def scan(store: Store) -> int:
    return record(store, document(*FINDINGS))


def _names(store: Store, scan_id: int, **kwargs: Any) -> list[str]:
    return [row.name for row in queries.findings(store, scan_id, **kwargs).items]


def test_findings_sort_worst_first_then_by_id(store: Store, scan: int) -> None:
    page = queries.findings(store, scan)
    assert [r.severity for r in page.items] == sorted((r.severity for r in page.items),
                                                       reverse=True)
    assert page.items[0].name == "web" and page.total == 5


@pytest.mark.parametrize(("sort", "descending", "expected"), [
    ("name", None, ["api", "batch", "cron_100%", "web", "worker"]),
    ("name", True, ["worker", "web", "cron_100%", "batch", "api"]),
    ("severity", False, ["cron_100%", "batch", "api", "worker", "web"]),
    ("cluster", None, ["web", "worker", "batch", "cron_100%", "api"]),
])
def test_findings_sort_by_any_listed_column(store: Store, scan: int, sort: str,
                                            descending: bool | None,
                                            expected: list[str]) -> None:
    assert _names(store, scan, sort=sort, descending=descending) == expected


@pytest.mark.parametrize(("keep", "expected"), [
    (FindingFilter(severities=(Severity.HIGH,)), {"api", "worker"}),
    (FindingFilter(trait="privileged-container"), {"web", "batch", "cron_100%", "worker"}),
    (FindingFilter(trait="privileged"), set()),
    (FindingFilter(account="444455556666"), {"worker"}),
    (FindingFilter(region="us-east-1"), {"batch"}),
    (FindingFilter(cluster="staging"), {"api"}),
    (FindingFilter(text="CRON_100%"), {"cron_100%"}),
    (FindingFilter(text="100%"), {"cron_100%"}),
    (FindingFilter(text="_"), {"cron_100%"}),
    (FindingFilter(text="service/prod/w"), {"web", "worker"}),
    (FindingFilter(states=("new",), severities=(Severity.CRITICAL, Severity.LOW)),
     {"web", "cron_100%"}),
    (FindingFilter(states=("resolved",)), set()),
])
def test_findings_filter_in_sql(store: Store, scan: int, keep: FindingFilter,
                                expected: set[str]) -> None:
    page = queries.findings(store, scan, keep)
    assert {r.name for r in page.items} == expected and page.total == len(expected)


def test_pages_cover_the_list_once(store: Store, scan: int) -> None:
    pages = [queries.findings(store, scan, sort="title", offset=n, limit=2) for n in (0, 2, 4)]
    names = [r.name for p in pages for r in p.items]
    assert sorted(names) == sorted(f["resource"]["name"] for f in FINDINGS)
    assert [len(p.items) for p in pages] == [2, 2, 1] and {p.total for p in pages} == {5}


def test_an_unknown_sort_is_refused(store: Store, scan: int) -> None:
    with pytest.raises(StoreError, match="cannot sort"):
        queries.findings(store, scan, sort="document")


def test_facets_list_the_filter_choices(store: Store, scan: int) -> None:
    facets = queries.facets(store, scan)
    assert facets["accounts"] == ["111122223333", "444455556666"]
    assert facets["regions"] == ["eu-west-1", "us-east-1"]
    assert facets["clusters"] == ["prod", "staging"]
    assert facets["traits"] == ["internet-reachable", "plaintext-credentials",
                                "privileged-container"]


def test_a_suppression_shows_at_once_and_is_audited(store: Store, scan: int) -> None:
    web = FINDINGS[0]["id"]
    queries.suppress(store, web, "WAF in front", "alice", owner="team-web",
                     expires=date.today() + timedelta(days=30))
    assert _names(store, scan, keep=FindingFilter(states=("suppressed",))) == ["web"]
    queries.suppress(store, web, "WAF and IP allow-list", "bob", owner="team-web")
    assert queries.unsuppress(store, web, "carol") is True
    assert queries.unsuppress(store, web, "carol") is False
    log = queries.audit_log(store, web)
    assert [(a.actor, a.action) for a in log] == [("carol", "unsuppress"), ("bob", "suppress"),
                                                  ("alice", "suppress")]
    assert log[1].details["before"]["reason"] == "WAF in front"
    assert log[1].details["after"] == {"reason": "WAF and IP allow-list", "owner": "team-web",
                                       "expires": None}
    assert _names(store, scan, keep=FindingFilter(states=("suppressed",))) == []


def test_an_expired_suppression_no_longer_suppresses(store: Store, scan: int) -> None:
    web = FINDINGS[0]["id"]
    queries.suppress(store, web, "until the fix ships", "alice",
                     expires=date.today() - timedelta(days=1))
    assert queries.findings(store, scan).items[0].state == "new"


def test_a_suppression_survives_reopening(store: Store, scan: int) -> None:
    queries.suppress(store, FINDINGS[1]["id"], "test account", "alice", owner="qa")
    store.close()
    with open_store(store.url) as reopened:               # type: ignore[attr-defined]
        [kept] = queries.suppressions(reopened)
        assert (kept.finding_id, kept.reason, kept.owner, kept.created_by) == (
            FINDINGS[1]["id"], "test account", "qa", "alice")
        detail = queries.finding(reopened, FINDINGS[1]["id"])
        assert detail.row.state == "suppressed" and detail.suppression == kept


@pytest.mark.parametrize(("finding_id", "reason", "actor"), [
    ("no-such-finding", "why", "alice"), (FINDINGS[0]["id"], " ", "alice"),
    (FINDINGS[0]["id"], "why", ""),
])
def test_a_suppression_needs_a_known_finding_a_reason_and_an_actor(
        store: Store, scan: int, finding_id: str, reason: str, actor: str) -> None:
    with pytest.raises(StoreError):
        queries.suppress(store, finding_id, reason, actor)
    assert queries.audit_log(store) == []


def test_a_finding_has_its_document_and_timeline(store: Store, scan: int) -> None:
    doc = document(*FINDINGS)
    later = record(store, without(doc, "api"))
    detail = queries.finding(store, FINDINGS[1]["id"])
    assert detail.document == FINDINGS[1]
    assert detail.row.scan_id == scan
    assert [(p.scan_id, p.state) for p in detail.timeline] == [(scan, "new"),
                                                               (later, "resolved")]
    with pytest.raises(StoreError, match="holds no finding"):
        queries.finding(store, FINDINGS[1]["id"], scan_id=later + 1)


def test_trend_counts_by_severity_and_state(store: Store, scan: int) -> None:
    later = record(store, without(document(*FINDINGS), "api"))
    first, second = queries.trend(store)
    assert (first.scan_id, second.scan_id) == (scan, later)
    assert first.by_severity == {"CRITICAL": 1, "HIGH": 2, "MEDIUM": 1, "LOW": 1,
                                 "INFORMATIONAL": 0}
    assert second.by_severity["HIGH"] == 1
    assert second.by_state == {"new": 0, "active": 4, "regressed": 0, "resolved": 1,
                               "suppressed": 0}
    assert [s.id for s in queries.list_scans(store)] == [later, scan]
    assert [c.scan_id for c in queries.trend(store, last=1)] == [later]


def test_an_unknown_scan_is_a_store_error(store: Store) -> None:
    with pytest.raises(StoreError, match="holds no scan 7"):
        queries.get_scan(store, 7)
