"""The dashboard in headless Chromium, against ``ecs-exposure serve`` running as a real
uvicorn server over a store the real ``scan --store`` wrote.

Checked as a user would: the overview loads only this server's files with no CSP complaint;
filters, sort and pages work by clicking; a finding opens; a hostile resource name is text and
never runs; suppressing a finding through its form survives a restart of the server and is
honoured by the next ``scan --store --fail-on`` (exit 1 before, 0 after).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select, WebDriverWait

from ecs_exposure.store import queries
from ecs_exposure.store.engine import open_store
from ecs_exposure.store.record import record
from support.browser import chromium, network
from support.dashboard_server import environment, serving
from support.dashboard_store import FIXED, HOSTILE, hostile_finding
from support.store_documents import demo_document


def _scan(store_url: str, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ecs_exposure", "scan", "--demo", "--store", store_url,
         "--fail-on", "critical", "--format", "json", "--output", str(out)],
        capture_output=True, text=True, timeout=300, check=False, env=environment())


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    with chromium() as driver:
        yield driver


@pytest.fixture(scope="module")
def store_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("dashboard")
    url = f"sqlite:///{folder / 'store.db'}"
    first = _scan(url, folder / "first.json")
    assert first.returncode == 1, first.stderr          # storefront-web is CRITICAL
    with open_store(url) as store:
        doc = demo_document()
        doc["findings"] = [*doc["findings"], hostile_finding()]
        record(store, doc)
    return url


def _open(browser: WebDriver, address: str) -> None:
    browser.get_log("performance")
    browser.get_log("browser")
    browser.get(address)


def _rows(browser: WebDriver) -> list[str]:
    return [r.find_element(By.CSS_SELECTOR, "td.name").text.removesuffix(" (task definition)")
            for r in browser.find_elements(By.CSS_SELECTOR, "tr.finding-row")]


def test_overview_loads_only_its_own_files(browser: WebDriver, store_file: str) -> None:
    with serving(store_file) as base:
        _open(browser, base)
        assert browser.title.startswith("Overview")
        assert browser.find_element(By.ID, "trend").is_displayed()
        critical = browser.find_element(By.CSS_SELECTOR, '[data-severity-count="CRITICAL"] .n')
        assert critical.text == "1"
        requested, blocked = network(browser)
        assert requested and all(u.startswith(base) for u in requested), requested
        assert blocked == set()
        assert {u.removeprefix(base) for u in requested} == {
            "", "static/dashboard.css", "static/dashboard.js", "static/favicon.svg"}
        complaints = [e["message"] for e in browser.get_log("browser")
                      if "Content Security Policy" in e["message"] or e["level"] == "SEVERE"]
        assert complaints == []
        assert browser.execute_script(
            "return getComputedStyle(document.querySelector('header.top')).display") == "flex"


def test_filter_sort_paginate_and_open(browser: WebDriver, store_file: str) -> None:
    with serving(store_file) as base:
        _open(browser, base + "findings")
        total = int(browser.find_element(By.ID, "f-total").text)
        browser.find_element(By.CSS_SELECTOR, 'input.f-severity[value="HIGH"]').click()
        browser.find_element(By.ID, "f-apply").click()
        high = int(browser.find_element(By.ID, "f-total").text)
        assert 0 < high < total
        assert {r.get_attribute("data-severity") for r in
                browser.find_elements(By.CSS_SELECTOR, "tr.finding-row")} == {"HIGH"}
        browser.find_element(By.ID, "f-reset").click()
        Select(browser.find_element(By.ID, "f-cluster")).select_by_value("staging")
        # the script submits the form when a list changes
        browser.find_element(By.CSS_SELECTOR, 'option[value="staging"][selected]')
        assert set(_rows(browser)) == {"legacy-admin", "preview-app", "reporting"}
        browser.find_element(By.ID, "f-reset").click()
        search = browser.find_element(By.ID, "f-q")
        search.send_keys("payments")
        search.submit()     # returns before the filtered page has loaded: wait for it
        WebDriverWait(browser, 30).until(
            lambda b: "q=payments" in b.current_url
            and b.execute_script("return document.readyState") == "complete")
        assert _rows(browser) == ["payments-api"]
        _open(browser, base + "findings?per_page=10")
        browser.find_element(By.CSS_SELECTOR, 'a.sort[data-sort="name"]').click()
        first_page = _rows(browser)
        assert first_page == sorted(first_page) and len(first_page) == 10
        browser.find_element(By.ID, "page-next").click()
        second_page = _rows(browser)
        assert second_page and not set(first_page) & set(second_page)
        assert max(first_page) <= min(second_page)
        browser.find_element(By.CSS_SELECTOR, "tr.finding-row td.title a").click()
        assert browser.find_element(By.ID, "attack-path").is_displayed()
        assert browser.find_elements(By.CSS_SELECTOR, "#timeline tbody tr")


def test_a_hostile_name_is_text_and_never_runs(browser: WebDriver, store_file: str) -> None:
    with serving(store_file) as base:
        _open(browser, base + "findings?q=onerror")
        assert _rows(browser) == [HOSTILE]
        browser.find_element(By.CSS_SELECTOR, "tr.finding-row td.title a").click()
        assert HOSTILE in browser.find_element(By.ID, "finding-name").text
        with pytest.raises(NoAlertPresentException):
            browser.switch_to.alert.text            # noqa: B018 — raises if alert() ran
        assert browser.find_elements(By.CSS_SELECTOR, "main img") == []
        requested, _ = network(browser)         # data: is Chromium's own date-picker icon
        assert not [u for u in requested if not u.startswith((base, "data:image/svg+xml"))]


def test_a_suppression_survives_a_restart_and_the_next_scan_honours_it(
        browser: WebDriver, store_file: str, tmp_path: Path) -> None:
    with serving(store_file) as base:
        _open(browser, base + "findings?severity=CRITICAL")
        assert _rows(browser) == [FIXED]
        browser.find_element(By.CSS_SELECTOR, "tr.finding-row td.title a").click()
        browser.find_element(By.ID, "s-reason").send_keys("fronted by a WAF; SEC-1234")
        browser.find_element(By.ID, "s-owner").send_keys("team-web")
        browser.find_element(By.ID, "suppress").click()
        # click() returns before the POST's redirect has loaded: wait for the new page
        WebDriverWait(browser, 30).until(lambda b: b.find_elements(By.ID, "suppressed-note"))
        assert "fronted by a WAF" in browser.find_element(By.ID, "suppressed-note").text
        assert browser.find_element(By.CSS_SELECTOR, ".meta .state").text == "suppressed"
    with serving(store_file) as base:                # a new process: nothing kept in memory
        _open(browser, base + "findings?state=suppressed")
        assert _rows(browser) == [FIXED]
        browser.find_element(By.CSS_SELECTOR, "tr.finding-row td.title a").click()
        assert "team-web" in browser.find_element(By.ID, "suppressed-note").text
        audit = browser.find_element(By.ID, "audit").text
        assert "suppress" in audit and "dashboard (local user" in audit
    again = _scan(store_file, tmp_path / "again.json")
    assert again.returncode == 0, again.stderr       # the one CRITICAL is suppressed now
    with open_store(store_file) as store:
        newest = queries.list_scans(store, 1)[0].id
        [row] = queries.findings(store, newest, queries.FindingFilter(text=FIXED)).items
        assert row.suppressed and row.state == "suppressed"
