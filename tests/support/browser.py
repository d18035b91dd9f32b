"""Headless Chromium driven by Selenium: Debian's ``chromium`` and ``chromium-driver`` (installed
by ``scripts/test.sh`` when missing), never a browser Selenium would download."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking")


@contextmanager
def chromium(window: str = "1400,1000") -> Iterator[WebDriver]:
    """A headless Chromium that logs network events and console messages; quit after."""
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.fail("headless Chromium is missing: scripts/test.sh installs the Debian packages "
                    "chromium and chromium-driver")
    os.environ["SE_OFFLINE"] = "true"          # Selenium Manager must never download anything
    options = Options()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--window-size={window}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def network(browser: WebDriver) -> tuple[list[str], set[str]]:
    """URLs the page tried to fetch (DevTools log, even if then blocked) and those CSP blocked,
    since the log was last read."""
    urls: dict[str, str] = {}
    blocked: set[str] = set()
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message["params"]
        if message["method"] == "Network.requestWillBeSent":
            urls[params["requestId"]] = params["request"]["url"]
        elif message["method"] == "Network.loadingFailed" and params.get("blockedReason") == "csp":
            blocked.add(params["requestId"])
    return list(urls.values()), {urls[r] for r in blocked if r in urls}
