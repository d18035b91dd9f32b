"""HTML report: self-contained and escaped (checked statically), and working in headless
Chromium driven by Selenium (Debian's chromium + chromium-driver; never a downloaded browser)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select, WebDriverWait

from ecs_exposure.reporters import html as html_report
from support.browser import chromium, network
from support.builders import container, task_definition
from support.iac_helpers import scan_paths
from support.iam_helpers import allow, role
from support.report_inputs import XSS_NAME, demo_context, demo_counts, demo_result, hostile_result

COUNTS = demo_counts()
TOTAL = sum(COUNTS.values())



class _Tags(HTMLParser):
    """Every start tag with its attributes, the text of <script>/<style> elements, and of
    data blocks (a <script> with a ``type`` that is not JavaScript: never run)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.inline: dict[str, list[str]] = {"script": [], "style": [], "data": []}
        self._open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._open = tag if tag in self.inline else None
        if tag == "script" and dict(attrs).get("type") not in (None, "text/javascript"):
            self._open = "data"

    def handle_endtag(self, tag: str) -> None:
        self._open = None

    def handle_data(self, data: str) -> None:
        if self._open:
            self.inline[self._open].append(data)


def _parse(text: str) -> _Tags:
    parser = _Tags()
    parser.feed(text)
    return parser


@pytest.fixture(scope="module")
def demo_html() -> str:
    return html_report.render(demo_result(), demo_context())


def test_strict_csp_allows_exactly_the_inline_style_and_script(demo_html: str) -> None:
    parsed = _parse(demo_html)
    meta = [a for t, a in parsed.tags if t == "meta" and a.get("http-equiv")]
    assert len(meta) == 1 and meta[0]["http-equiv"] == "Content-Security-Policy"
    policy = str(meta[0]["content"])
    assert policy.startswith("default-src 'none';")
    for kind in ("script", "style"):
        assert len(parsed.inline[kind]) == 1
        digest = base64.b64encode(hashlib.sha256(parsed.inline[kind][0].encode()).digest())
        assert f"{kind}-src 'sha256-{digest.decode()}'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_nothing_refers_outside_the_file(demo_html: str) -> None:
    parsed = _parse(demo_html)
    names = {tag for tag, _ in parsed.tags}
    assert not names & {"img", "link", "iframe", "object", "embed", "base", "image", "use",
                        "audio", "video", "source", "form", "frame"}
    for tag, attrs in parsed.tags:
        assert "src" not in attrs and "srcset" not in attrs and "style" not in attrs, tag
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        if "href" in attrs:
            assert tag == "a" and str(attrs["href"]).startswith("https://"), attrs
            assert attrs.get("rel") == "noopener noreferrer"
    style = "".join(parsed.inline["style"])
    assert "url(" not in style and "@import" not in style and "@font-face" not in style


def test_every_card_and_count(demo_html: str) -> None:
    parsed = _parse(demo_html)
    cards = [a for t, a in parsed.tags if t == "article"]
    assert len(cards) == TOTAL
    severities = [c["data-severity"] for c in cards]
    assert {s: severities.count(s) for s in COUNTS} == COUNTS
    assert {c["data-cluster"] for c in cards} == {"prod", "staging", html_report.NO_CLUSTER}
    assert sum(1 for t, _ in parsed.tags if t == "svg") == TOTAL


def test_input_values_are_escaped(tmp_path: Path) -> None:
    text = html_report.render(hostile_result(tmp_path))
    assert "<img" not in text and "<b>bold</b>" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert not any(tag == "img" for tag, _ in _parse(text).tags)


def test_control_and_bidi_characters_are_shown_as_escapes(tmp_path: Path) -> None:
    import dataclasses

    result = hostile_result(tmp_path)
    finding = dataclasses.replace(result.findings[0], name="evil\u202egnp.exe\x1b[2J")
    text = html_report.render(dataclasses.replace(result, findings=(finding,)))
    assert "\u202e" not in text and "\x1b" not in text
    assert "evil\\x202egnp.exe\\x1b[2J" in text


def test_attack_path_diagram_layout() -> None:
    steps = ["internet", "internet-facing application load balancer lb (HTTP:80)",
             "service web (web:1)", "container web (privileged container)",
             "host (privileged container)", "IAM role r (admin)", "AWS account 1" * 60]
    drawn = html_report.diagram(steps)
    kinds = [node.kind for node in drawn.nodes]
    assert kinds == ["internet", "network", "service", "container", "host", "iam", "account"]
    assert len(drawn.arrows) == len(steps) - 1
    assert all(top < bottom for top, bottom in drawn.arrows)
    assert len(drawn.nodes[-1].lines) == html_report.MAX_LINES
    assert drawn.nodes[-1].lines[-1].endswith("…")
    assert drawn.height >= drawn.nodes[-1].y + drawn.nodes[-1].height


# --- in the browser ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    with chromium() as driver:
        yield driver


def _open(browser: WebDriver, path: Path) -> None:
    """Load the page and wait until its script has read all its data (or given up)."""
    browser.get_log("performance")                # drop what earlier pages logged
    browser.get_log("browser")
    browser.get(path.as_uri())
    WebDriverWait(browser, 20).until(
        lambda b: b.execute_script("return document.documentElement.dataset.loaded"))


def _network(browser: WebDriver) -> tuple[list[str], set[str]]:
    return network(browser)


def _requests(browser: WebDriver) -> list[str]:
    return _network(browser)[0]


def _visible(browser: WebDriver) -> list[Any]:
    return [c for c in browser.find_elements(By.CSS_SELECTOR, "article.card") if c.is_displayed()]


def _shown(browser: WebDriver) -> int:
    return int(browser.find_element(By.ID, "f-shown").text)


@pytest.fixture(scope="module")
def demo_page(tmp_path_factory: pytest.TempPathFactory, demo_html: str) -> Path:
    path = tmp_path_factory.mktemp("html") / "report.html"
    path.write_text(demo_html, encoding="utf-8")
    return path


def test_demo_report_in_chromium(browser: WebDriver, demo_page: Path, tmp_path: Path) -> None:
    _open(browser, demo_page)
    assert browser.title.startswith("ECS exposure report")
    assert len(_visible(browser)) == TOTAL and _shown(browser) == TOTAL
    assert browser.find_element(By.ID, "f-total").text == str(TOTAL)
    for severity, expected in COUNTS.items():
        tile = browser.find_element(By.CSS_SELECTOR, f'[data-severity-count="{severity}"]')
        assert int(tile.text) == expected
    first = _visible(browser)[0]
    assert "storefront-web" in first.find_element(By.CSS_SELECTOR, "h2").text
    storefront_path = next(f for f in demo_result().findings
                           if f.name == "storefront-web").attack_path
    assert len(first.find_elements(By.CSS_SELECTOR, "svg.diagram g.node")) == len(storefront_path)
    storefront = next(f for f in demo_result().findings if f.name == "storefront-web")
    assert len(first.find_elements(By.CSS_SELECTOR, "li.trait")) == len(storefront.traits)
    assert "storefront-web-7.json:40:23" in first.text
    # no request besides the page itself, nothing fetched, no CSP complaint
    assert _requests(browser) == [demo_page.as_uri()]
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    assert not [e for e in browser.get_log("browser") if "Content Security Policy" in e["message"]]
    shot = tmp_path / "report.png"
    assert browser.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    if os.environ.get("REPORT_SCREENSHOT"):
        browser.save_screenshot(os.environ["REPORT_SCREENSHOT"])


def test_filters_work_after_clicking_and_typing(browser: WebDriver, demo_page: Path) -> None:
    _open(browser, demo_page)
    browser.find_element(By.CSS_SELECTOR, 'input.f-severity[value="HIGH"]').click()
    rest = TOTAL - COUNTS["HIGH"]
    assert _shown(browser) == rest and len(_visible(browser)) == rest
    assert all(c.get_attribute("data-severity") != "HIGH" for c in _visible(browser))
    browser.find_element(By.CSS_SELECTOR, 'button.tile[data-only="MEDIUM"]').click()
    assert {c.get_attribute("data-severity") for c in _visible(browser)} == {"MEDIUM"}
    assert _shown(browser) == COUNTS["MEDIUM"]
    browser.find_element(By.ID, "f-reset").click()
    assert _shown(browser) == TOTAL

    Select(browser.find_element(By.ID, "f-trait")).select_by_value("privileged-container")
    names = {c.find_element(By.CSS_SELECTOR, ".name").text for c in _visible(browser)}
    assert names == {"storefront-web", "debug-toolbox"}
    Select(browser.find_element(By.ID, "f-trait")).select_by_value("")
    Select(browser.find_element(By.ID, "f-cluster")).select_by_value("staging")
    names = {c.find_element(By.CSS_SELECTOR, ".name").text for c in _visible(browser)}
    assert names == {"legacy-admin", "preview-app", "reporting"}
    Select(browser.find_element(By.ID, "f-cluster")).select_by_value("")

    search = browser.find_element(By.ID, "f-search")
    search.send_keys("payments")
    assert [c.find_element(By.CSS_SELECTOR, ".name").text for c in _visible(browser)] == [
        "payments-api"]
    search.clear()
    search.send_keys("AdministratorAccess storefront")       # every word must match
    assert _shown(browser) == 1
    search.send_keys(" no-such-thing")
    assert _shown(browser) == 0 and browser.find_element(By.ID, "f-none").is_displayed()
    browser.find_element(By.ID, "f-reset").click()
    assert _shown(browser) == TOTAL and not browser.find_element(By.ID, "f-none").is_displayed()


def test_print_layout_hides_the_controls(browser: WebDriver, demo_page: Path) -> None:
    _open(browser, demo_page)
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert not browser.find_element(By.ID, "controls").is_displayed()
        assert len(_visible(browser)) == TOTAL
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    pdf = base64.b64decode(browser.print_page())
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b", pdf)) >= 3


def test_hostile_service_name_is_text_and_never_runs(browser: WebDriver, tmp_path: Path) -> None:
    page = tmp_path / "hostile.html"
    page.write_text(html_report.render(hostile_result(tmp_path / "estate")), encoding="utf-8")
    _open(browser, page)
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text               # noqa: B018 — raises if alert(1) ran
    assert browser.find_elements(By.TAG_NAME, "img") == []
    titles = [h.text for h in browser.find_elements(By.CSS_SELECTOR, "article.card h2")]
    assert any(XSS_NAME in title for title in titles)
    assert XSS_NAME in browser.find_element(By.CSS_SELECTOR, "article.card .name").text
    assert _requests(browser) == [page.as_uri()]    # the <img src=x> was never requested
    search = browser.find_element(By.ID, "f-search")
    search.send_keys("onerror")
    assert _shown(browser) == 1


def test_the_csp_blocks_anything_added_to_the_page(browser: WebDriver, demo_html: str,
                                                   tmp_path: Path) -> None:
    """If an unescaped value ever slipped in, the browser would still refuse to run or load it."""
    injected = demo_html.replace(
        "</main>", '<script>document.title = "pwned"</script><img src="https://example.com/x">'
        "</main>")
    page = tmp_path / "injected.html"
    page.write_text(injected, encoding="utf-8")
    _open(browser, page)
    assert browser.title.startswith("ECS exposure report")
    assert _shown(browser) == TOTAL                    # the report's own script still runs
    violations = [e["message"] for e in browser.get_log("browser")
                  if "Content Security Policy" in e["message"]]
    assert len(violations) >= 2
    attempted, blocked = _network(browser)
    assert attempted == [page.as_uri(), "https://example.com/x"]
    assert blocked == {"https://example.com/x"}         # refused by the CSP, never sent


def test_a_trait_whose_position_cannot_be_found_still_renders(tmp_path: Path) -> None:
    """An inline policy as the raw IAM API gives it (URL-encoded JSON in a string): the
    evidence points inside the string, where no line and column exist."""
    admin = role("app-task", allow("*"))
    admin["RolePolicyList"][0]["PolicyDocument"] = quote(
        json.dumps(admin["RolePolicyList"][0]["PolicyDocument"]))
    (tmp_path / "iam.json").write_text(json.dumps(
        {"RoleDetailList": [admin], "Policies": [], "UserDetailList": [],
         "GroupDetailList": []}))
    (tmp_path / "td.json").write_text(json.dumps(task_definition(
        containers=[container()], taskRoleArn=admin["Arn"])))
    result, _, report = scan_paths([tmp_path])
    assert not report.errors
    traits = [t for f in result.task_definition_findings for t in f.traits]
    assert any(t.source and t.source.endswith("iam.json") for t in traits)
    page = html_report.render(result)
    assert "iam.json" in page
