"""The dashboard's routes through Starlette's test client, on SQLite and PostgreSQL: every
page renders with strict headers, filters and pages select in the database, a finding shows
its evidence, fix and timeline, changes need the CSRF token, hostile names stay text."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest

from ecs_exposure.store import queries
from ecs_exposure.store.queries import FindingFilter
from support.dashboard_store import FIXED, HOSTILE
from support.store_documents import demo_document
from unit.web.conftest import Dashboard

PAGES = ("/", "/findings", "/posture", "/compliance", "/problems", "/diff", "/scans")


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.inline_scripts = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts += 1


def _parse(html: str) -> _Tags:
    tags = _Tags()
    tags.feed(html)
    return tags


def _ids(html: str) -> list[str]:
    return re.findall(r'<tr class="finding-row" data-id="([^"]+)"', html)


def _names(dashboard: Dashboard, html: str) -> set[str]:
    rows = {r.id: r.name for r in queries.findings(dashboard.store, dashboard.newer,
                                                   limit=500).items}
    return {rows[i] for i in _ids(html)}


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_strict_headers_and_loads_only_its_own_assets(
        dashboard: Dashboard, path: str) -> None:
    response = dashboard.client.get(path)
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp and "unsafe" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    tags = _parse(response.text)
    assert tags.inline_scripts == 0
    assert not [a for _, a in tags.tags if "style" in a or any(k.startswith("on") for k in a)]
    assets = [a.get("src") or a.get("href") for t, a in tags.tags if t in ("script", "link")]
    assert assets == ["/static/favicon.svg", "/static/dashboard.css", "/static/dashboard.js"]
    for asset in assets:
        assert dashboard.client.get(str(asset)).status_code == 200


def test_overview_counts_the_newest_scan(dashboard: Dashboard) -> None:
    html = dashboard.client.get("/").text
    expected = queries.trend(dashboard.store)[-1]
    for severity, count in expected.by_severity.items():
        tile = re.search(rf'data-severity-count="{severity}"[^>]*>\s*<span class="n">(\d+)',
                         html)
        assert tile and int(tile.group(1)) == count
    assert 'id="trend"' in html and html.count('<a href="/?scan=') == 3
    assert "privileged-container" in html and "storefront-web" in html


@pytest.mark.parametrize(("query", "expected"), [
    ("severity=CRITICAL", {"storefront-web"}),
    ("trait=privileged-container&q=storefront", {"storefront-web"}),
    ("q=PAYMENTS", {"payments-api"}),
    ("cluster=staging", {"legacy-admin", "preview-app", "reporting"}),
    ("q=onerror", {HOSTILE}),
    ("region=eu-west-1", {HOSTILE}),
    ("account=111122223333&region=us-east-1&severity=CRITICAL", {"storefront-web"}),
    ("state=new", {HOSTILE}),
    ("q=no-such-thing", set()),
])
def test_findings_filters(dashboard: Dashboard, query: str, expected: set[str]) -> None:
    response = dashboard.client.get(f"/findings?{query}")
    assert response.status_code == 200
    assert _names(dashboard, response.text) == expected


def test_findings_of_an_older_scan_and_the_resolved_state(dashboard: Dashboard) -> None:
    second = dashboard.newer - 1
    html = dashboard.client.get(f"/findings?scan={second}&state=resolved").text
    assert re.findall(r'data-id="([^"]+)"', html) == [
        r.id for r in queries.findings(dashboard.store, second,
                                       FindingFilter(states=("resolved",))).items]
    assert len(_ids(html)) == 1 and FIXED in html


def test_sort_and_pages_never_overlap(dashboard: Dashboard) -> None:
    total = queries.findings(dashboard.store, dashboard.newer).total
    seen: list[str] = []
    for number in range(1, 4):
        html = dashboard.client.get(f"/findings?sort=name&order=asc&per_page=10&page={number}"
                                    ).text
        seen += _ids(html)
        assert f"page {number} of {-(-total // 10)}" in html
    assert len(seen) == len(set(seen)) == total
    rows = {r.id: r.name for r in queries.findings(dashboard.store, dashboard.newer,
                                                   limit=500).items}
    assert [rows[i] for i in seen] == sorted(rows.values())


@pytest.mark.parametrize("query", ["severity=urgent", "state=open", "sort=evil", "page=0",
                                   "page=x", "per_page=100000", "scan=999", "order=sideways"])
def test_a_bad_parameter_is_a_clear_error(dashboard: Dashboard, query: str) -> None:
    response = dashboard.client.get(f"/findings?{query}")
    assert response.status_code in (400, 404)
    name = query.split("=")[0]
    message = re.search(r'id="error-message">([^<]+)', response.text)
    assert message and (name in message.group(1) or "no scan 999" in message.group(1))


def _storefront(dashboard: Dashboard) -> tuple[str, dict[str, Any]]:
    finding = next(f for f in demo_document()["findings"]
                   if f["resource"]["name"] == FIXED)
    return finding["id"], finding


def test_a_finding_page_shows_why_path_evidence_fix_and_timeline(dashboard: Dashboard) -> None:
    finding_id, finding = _storefront(dashboard)
    response = dashboard.client.get(f"/findings/{finding_id}")
    assert response.status_code == 200
    html = response.text
    assert "CVE-2023-4863" in html and "AdministratorAccess" in html
    assert html.count('<g class="node kind-') == len(finding["attack_path"])
    assert html.count('<li class="trait"') == len(finding["traits"])
    assert "storefront-web-7.json:40:23" in html
    timeline = html.split('id="timeline"')[1].split("</table>")[0]
    assert timeline.count("<tr") == 1 + 3
    assert "state-resolved" in timeline and "state-regressed" in timeline
    download = dashboard.client.get(f"/findings/{finding_id}/fixed-task-definition.json")
    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    assert json.loads(download.text) == finding["remediation"]["task_definition"]


def test_an_unknown_finding_is_404(dashboard: Dashboard) -> None:
    assert dashboard.client.get("/findings/nope").status_code == 404


def test_hostile_names_are_text(dashboard: Dashboard) -> None:
    for path in ("/", "/findings?q=onerror", f"/findings/{'0bad' * 8}", "/diff"):
        html = dashboard.client.get(path).text
        assert "<script>alert" not in html and "<img src=x" not in html, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path
    download = dashboard.client.get(f"/findings/{'0bad' * 8}/fixed-task-definition.json")
    assert re.fullmatch(r'attachment; filename="[A-Za-z0-9_-]+-fixed.json"',
                        download.headers["content-disposition"])


def _form(dashboard: Dashboard, finding_id: str, **fields: str) -> Any:
    return dashboard.client.post(f"/findings/{finding_id}/suppress", data=fields,
                                 follow_redirects=False)


def test_suppress_needs_the_csrf_token_and_a_same_site_request(dashboard: Dashboard) -> None:
    finding_id = _storefront(dashboard)[0]
    token = dashboard.access.csrf
    refused = [
        _form(dashboard, finding_id, reason="accepted"),
        _form(dashboard, finding_id, reason="accepted", csrf="forged"),
        dashboard.client.post(f"/findings/{finding_id}/suppress",
                              data={"reason": "x", "csrf": token},
                              headers={"origin": "https://evil.example"}),
        dashboard.client.post(f"/findings/{finding_id}/suppress",
                              data={"reason": "x", "csrf": token},
                              headers={"sec-fetch-site": "cross-site"}),
    ]
    assert [r.status_code for r in refused] == [403] * 4
    assert queries.suppressions(dashboard.store) == []
    assert dashboard.client.get(f"/findings/{finding_id}/suppress").status_code == 405


def test_suppress_then_unsuppress_through_the_forms(dashboard: Dashboard) -> None:
    finding_id = _storefront(dashboard)[0]
    token = dashboard.access.csrf
    assert _form(dashboard, finding_id, csrf=token, reason="").status_code == 400
    assert _form(dashboard, finding_id, csrf=token, reason="x",
                 expires="2001-01-01").status_code == 400
    done = _form(dashboard, finding_id, csrf=token, reason="compensating WAF",
                 owner="team-web", expires="2999-12-31")
    assert done.status_code == 303 and done.headers["location"].startswith(
        f"/findings/{finding_id}")
    [saved] = queries.suppressions(dashboard.store)
    assert (saved.reason, saved.owner, str(saved.expires)) == (
        "compensating WAF", "team-web", "2999-12-31")
    assert saved.created_by == dashboard.access.actor(None)
    page = dashboard.client.get(f"/findings/{finding_id}").text
    assert "compensating WAF" in page and 'id="unsuppress"' in page
    # the suppression shows at once in the lists and counts
    listed = dashboard.client.get(f"/findings?scan={dashboard.newer - 2}&state=suppressed")
    assert _ids(listed.text) == [finding_id]
    overview = dashboard.client.get("/").text      # the newest scan has it again
    assert re.search(r'data-state-count="suppressed"[^>]*>\s*<span class="n">(\d+)',
                     overview).group(1) == "1"   # type: ignore[union-attr]
    gone = dashboard.client.post(f"/findings/{finding_id}/unsuppress",
                                 data={"csrf": token}, follow_redirects=False)
    assert gone.status_code == 303 and queries.suppressions(dashboard.store) == []
    actions = [a.action for a in queries.audit_log(dashboard.store, finding_id)]
    assert actions == ["unsuppress", "suppress"]


def test_suppressing_an_open_finding_moves_the_overview_counts(dashboard: Dashboard) -> None:
    newest = queries.findings(dashboard.store, dashboard.newer,
                              FindingFilter(states=("active",)), limit=1).items[0]
    before = dashboard.client.get("/").text
    _form(dashboard, newest.id, csrf=dashboard.access.csrf, reason="accepted")
    after = dashboard.client.get("/").text

    def count(html: str, state: str) -> int:
        found = re.search(rf'data-state-count="{state}"[^>]*>\s*<span class="n">(\d+)', html)
        assert found
        return int(found.group(1))

    assert count(after, "suppressed") == count(before, "suppressed") + 1
    assert count(after, "active") == count(before, "active") - 1


def test_diff_page_shows_the_fix_as_resolved(dashboard: Dashboard) -> None:
    html = dashboard.client.get(f"/diff?a={dashboard.older}&b={dashboard.older + 1}").text
    resolved = re.search(r'data-diff-count="resolved"><span class="n">(\d+)', html)
    active = re.search(r'data-diff-count="active"><span class="n">(\d+)', html)
    assert resolved and resolved.group(1) == "1" and FIXED in html.split('id="diff-resolved"')[1]
    total = len(demo_document()["findings"]) + len(demo_document()["task_definition_findings"])
    assert active and int(active.group(1)) == total - 1


def test_posture_filters_in_the_database(dashboard: Dashboard) -> None:
    everything = dashboard.client.get("/posture")
    total = int(re.search(r'id="p-total">(\d+)', everything.text).group(1))  # type: ignore[union-attr]
    assert total == len(demo_document()["posture"])
    clusters = dashboard.client.get("/posture?type=AwsEcsCluster").text
    assert re.search(r'id="p-total">(\d+)', clusters).group(1) == "1"  # type: ignore[union-attr]
    assert dashboard.client.get("/posture?status=maybe").status_code == 400


def test_a_foreign_host_header_is_refused(dashboard: Dashboard) -> None:
    response = dashboard.client.get("/", headers={"host": "attacker.example"})
    assert response.status_code == 400


def test_problems_of_an_incomplete_scan(dashboard: Dashboard) -> None:
    from ecs_exposure.store.record import record
    from support.store_documents import document, finding

    scan = record(dashboard.store, document(
        finding("web"), errors=({"source": "aws", "message": "AccessDenied <b>x</b>",
                                 "account": "111122223333", "region": "eu-west-1"},),
        incomplete=({"resource": "arn:aws:ecs:eu-west-1:111122223333:cluster/*",
                     "reasons": ["ListServices failed"]},)))
    overview = dashboard.client.get(f"/?scan={scan}").text
    assert f'href="/problems?scan={scan}"' in overview
    html = dashboard.client.get(f"/problems?scan={scan}").text
    assert "AccessDenied &lt;b&gt;x&lt;/b&gt;" in html and "ListServices failed" in html
