"""The HTML report past its first 50 findings, in headless Chromium (Selenium; Debian's
chromium + chromium-driver): the first 50 findings are cards, and the tables rendered by the
page's script from its data blocks list every finding and every posture weakness, sort,
filter, open a row's details, and keep an injected name inert.

The estate: 57 services (26 HIGH, 2 MEDIUM, 29 LOW findings), one of them named like an
HTML injection and ranked 55th, so it is only in the table.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

from ecs_exposure.detectors.containers import PRIVILEGED
from ecs_exposure.detectors.registry import SPECS
from ecs_exposure.model import ScanResult
from ecs_exposure.reporters import html as html_report
from ecs_exposure.reporters.posture_view import KINDS
from support.browser import chromium, network
from support.builders import container, scan_docs, security_group, service, task_definition, tcp
from support.builders import network as subnets
from support.html_report import tables
from support.report_inputs import XSS_NAME

SERVICES = 56


@pytest.fixture(scope="module")
def result() -> ScanResult:
    tds: list[Any] = []
    services = []
    for n in range(SERVICES):
        family = f"app-{n:02d}"
        tds.append({"taskDefinition": task_definition(family=family, containers=[container(
            "web", user=None, privileged=(n % 2 == 0) or None)])})
        services.append(service(f"svc-{n:02d}", family=family, public_ip=n < 52))
    tds.append({"taskDefinition": task_definition(family="hostile", containers=[
        container(XSS_NAME, user=None)])})
    services.append(service(XSS_NAME, family="hostile"))
    return scan_docs(*tds, {"services": services},
                     {"SecurityGroups": [security_group("sg-1", tcp(80))]}, *subnets())


@pytest.fixture(scope="module")
def ranked(result: ScanResult) -> list[str]:
    """Finding names, most severe first: the cards' and the table's order."""
    findings = result.findings + result.task_definition_findings
    return [f.name for f in sorted(findings, key=lambda f: -f.severity)]


@pytest.fixture(scope="module")
def page(result: ScanResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("html-scale") / "report.html"
    path.write_text(html_report.render(result), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    with chromium() as driver:
        yield driver


def _open(browser: WebDriver, page: Path) -> None:
    browser.get_log("performance")
    browser.get(page.as_uri())
    WebDriverWait(browser, 30).until(
        lambda b: b.execute_script("return document.documentElement.dataset.loaded"))
    assert browser.execute_script("return document.documentElement.dataset.loaded") == "true"


def _rows(browser: WebDriver, table: str) -> list[WebElement]:
    return browser.find_elements(By.CSS_SELECTOR, f"#{table} tbody tr.row")


def _names(browser: WebDriver) -> list[str]:
    return [r.find_element(By.CSS_SELECTOR, ".name").text for r in _rows(browser, "f-table")]


def _posture_rows(browser: WebDriver) -> list[tuple[str, str, str]]:
    """``(kind, resource name, weakness)`` of the posture rows on every page."""
    found = []
    while True:
        for row in _rows(browser, "p-table"):
            cells = row.find_elements(By.TAG_NAME, "td")
            found.append((str(row.get_attribute("data-kind")), cells[2].find_element(
                By.TAG_NAME, "b").text, str(row.get_attribute("data-trait"))))
        following = browser.find_element(By.CSS_SELECTOR, "#posture .pager .next")
        if not following.is_enabled():
            return found
        following.click()


def _sort(browser: WebDriver, table: str, column: str) -> None:
    browser.find_element(By.CSS_SELECTOR, f'#{table} button.sort[data-sort="{column}"]').click()


# --- the page as written --------------------------------------------------------------------


def test_the_first_50_are_cards_and_the_data_holds_every_finding_and_weakness(
        result: ScanResult, ranked: list[str], page: Path) -> None:
    text = page.read_text()
    assert len(ranked) > html_report.FULL_CARDS
    cards = re.findall(r'<article class="card[^>]*>.*?<b class="name">([^<]*)</b>', text, re.S)
    assert cards == ranked[:html_report.FULL_CARDS]
    assert "svc-55" not in text and "svc-55" in ranked[html_report.FULL_CARDS:]
    findings, posture = tables(text)
    assert [f["name"] for f in findings] == [n.replace("\x1b", "") for n in ranked]
    assert [f["card"] for f in findings] == [int(i < html_report.FULL_CARDS)
                                             for i in range(len(ranked))]
    expected = Counter((KINDS[e.resource_type], e.name, t.id, t.detail)
                       for e in result.posture for t in e.traits)
    assert Counter((r["entry"]["kind"], r["entry"]["name"], r["spec"]["id"], r["detail"])
                   for r in posture) == expected
    hostile = next(f for f in findings if f["name"] == XSS_NAME)
    assert hostile["why"] and hostile["fix"] and hostile["traits"]   # the details it opens to


# --- in the browser ---------------------------------------------------------------------------


def test_the_tables_list_every_finding_and_posture_weakness(
        browser: WebDriver, page: Path, result: ScanResult, ranked: list[str]) -> None:
    _open(browser, page)
    assert _names(browser) == ranked                 # one page of 100: all 57, in rank order
    total = len(ranked)
    assert browser.find_element(By.CSS_SELECTOR, "#all-findings .range").text == (
        f"1–{total} of {total} findings")
    assert browser.find_element(By.ID, "f-shown").text == str(total)
    expected = Counter((KINDS[e.resource_type], e.name, t.id)
                       for e in result.posture for t in e.traits)
    assert sum(expected.values()) > 300              # more than three pages
    assert Counter(_posture_rows(browser)) == expected
    assert browser.find_element(By.CSS_SELECTOR, "#posture .range").text.endswith(
        f"of {sum(expected.values())} weaknesses")


def test_findings_beyond_the_first_50_are_rows_not_cards(browser: WebDriver, page: Path,
                                                         ranked: list[str]) -> None:
    _open(browser, page)
    cards = browser.find_elements(By.CSS_SELECTOR, "article.card")
    assert len(cards) == html_report.FULL_CARDS
    beyond = ranked[html_report.FULL_CARDS:]
    card_names = {c.find_element(By.CSS_SELECTOR, ".name").get_attribute("textContent")
                  for c in cards}
    assert not card_names & set(beyond) and set(beyond) <= set(_names(browser))
    search = browser.find_element(By.ID, "f-search")
    search.send_keys("svc-55")
    assert _names(browser) == ["svc-55"]
    assert not any(c.is_displayed() for c in cards)  # the filter hides every card
    assert browser.find_element(By.ID, "f-shown").text == "1"
    assert not browser.find_element(By.ID, "f-none").is_displayed()


def test_sorting_by_a_column(browser: WebDriver, page: Path, ranked: list[str]) -> None:
    _open(browser, page)
    _sort(browser, "f-table", "name")
    by_name = sorted(ranked, key=str.lower)
    assert _names(browser) == by_name
    header = browser.find_element(By.CSS_SELECTOR, '#f-table button.sort[data-sort="name"]')
    assert header.find_element(By.XPATH, "..").get_attribute("aria-sort") == "ascending"
    _sort(browser, "f-table", "name")
    assert _names(browser) == by_name[::-1]
    assert header.find_element(By.XPATH, "..").get_attribute("aria-sort") == "descending"
    _sort(browser, "f-table", "severity")
    severities = [r.get_attribute("data-severity") for r in _rows(browser, "f-table")]
    assert severities == sorted(severities, key=["HIGH", "MEDIUM", "LOW"].index)
    _sort(browser, "p-table", "trait")
    weaknesses = [str(r.get_attribute("data-trait")) for r in _rows(browser, "p-table")]
    assert weaknesses == sorted(weaknesses) and len(set(weaknesses)) > 1


def test_filtering_the_findings_and_the_posture(browser: WebDriver, page: Path,
                                                result: ScanResult) -> None:
    _open(browser, page)
    counts = Counter(f.severity.name for f in result.findings + result.task_definition_findings)
    browser.find_element(By.CSS_SELECTOR, 'input.f-severity[value="LOW"]').click()
    rows = _rows(browser, "f-table")
    assert len(rows) == counts["HIGH"] + counts["MEDIUM"]
    assert {r.get_attribute("data-severity") for r in rows} == {"HIGH", "MEDIUM"}
    browser.find_element(By.ID, "f-reset").click()
    Select(browser.find_element(By.ID, "f-trait")).select_by_value(PRIVILEGED.id)
    assert set(_names(browser)) == {f"svc-{n:02d}" for n in range(0, SERVICES, 2)}
    browser.find_element(By.ID, "f-reset").click()
    browser.find_element(By.ID, "f-search").send_keys("svc-5 web")   # every word must match
    assert sorted(_names(browser)) == [f"svc-{n}" for n in range(50, SERVICES)]

    Select(browser.find_element(By.ID, "p-type")).select_by_value("service")
    kinds = {r.get_attribute("data-kind") for r in _rows(browser, "p-table")}
    assert kinds == {"service"}
    browser.find_element(By.ID, "p-search").send_keys("svc-53")
    shown = int(browser.find_element(By.ID, "p-shown").text)
    expected = sum(1 for e in result.posture if e.name == "svc-53" for _ in e.traits)
    assert shown == expected == len(_rows(browser, "p-table")) > 0
    browser.find_element(By.ID, "p-search").send_keys(" no-such-thing")
    assert _rows(browser, "p-table") == [] and browser.find_element(By.ID, "p-none").is_displayed()


def test_a_row_opens_to_its_traits_why_and_fix(browser: WebDriver, page: Path,
                                               result: ScanResult, ranked: list[str]) -> None:
    _open(browser, page)
    finding = next(f for f in result.findings if f.name == "svc-55")
    fix = next(f["fix"] for f in tables(page.read_text())[0] if f["name"] == "svc-55")
    browser.find_element(By.ID, "f-search").send_keys("svc-55")
    _rows(browser, "f-table")[0].click()                # the page is drawn anew
    expand = _rows(browser, "f-table")[0].find_element(By.CSS_SELECTOR, "button.expand")
    assert expand.get_attribute("aria-expanded") == "true"
    detail = browser.find_element(By.CSS_SELECTOR, "#f-table tr.detail")
    text = detail.text
    assert finding.why in text and fix in text and "Register a new revision" in fix
    shown = {e.text for e in detail.find_elements(By.CSS_SELECTOR, "code.trait-id")}
    assert {t.id for t in finding.traits if not SPECS[t.id].contextual} <= shown
    assert detail.find_elements(By.CSS_SELECTOR, "a.to-card") == []   # no card to go back to
    how = detail.find_element(By.CSS_SELECTOR, "details.fix-trait")
    how.find_element(By.TAG_NAME, "summary").click()
    assert "If it is really needed" in how.text or len(how.text) > 80   # the trait's guidance
    _rows(browser, "f-table")[0].click()                                # closes again
    assert browser.find_elements(By.CSS_SELECTOR, "#f-table tr.detail") == []

    browser.find_element(By.ID, "f-reset").click()
    _rows(browser, "f-table")[0].click()                 # the first finding is also a card
    back = browser.find_element(By.CSS_SELECTOR, "#f-table tr.detail a.to-card")
    first = next(f for f in result.findings if f.name == ranked[0])
    assert str(back.get_attribute("href")).endswith(f"#finding-{first.id}")


def test_a_posture_row_leads_to_its_finding(browser: WebDriver, page: Path) -> None:
    _open(browser, page)
    browser.find_element(By.ID, "p-search").send_keys("app-54 privileged")
    _rows(browser, "p-table")[0].click()
    detail = browser.find_element(By.CSS_SELECTOR, "#p-table tr.detail")
    assert "How to fix" in detail.text
    detail.find_element(By.CSS_SELECTOR, "button.show-finding").click()
    opened = browser.find_element(By.CSS_SELECTOR, "#f-table tr.row[data-position] + tr.detail")
    assert opened.find_element(By.XPATH, "preceding-sibling::tr[1]").find_element(
        By.CSS_SELECTOR, ".name").text == "svc-54"


def test_an_injected_name_in_the_table_stays_text(browser: WebDriver, page: Path) -> None:
    _open(browser, page)
    browser.find_element(By.ID, "f-search").send_keys("onerror")
    assert _names(browser) == [XSS_NAME]
    _rows(browser, "f-table")[0].click()
    detail = browser.find_element(By.CSS_SELECTOR, "#f-table tr.detail")
    assert XSS_NAME in detail.text
    browser.find_element(By.ID, "p-search").send_keys("onerror")
    assert any(XSS_NAME in r.text for r in _rows(browser, "p-table"))
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text                    # noqa: B018 — raises if alert(1) ran
    assert browser.find_elements(By.TAG_NAME, "img") == []
    assert network(browser)[0] == [page.as_uri()]        # the <img src=x> was never requested
