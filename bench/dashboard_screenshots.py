"""Take screenshots of the dashboard in headless Chromium: the overview, the findings list, a
finding's page and the diff, each as a whole-page PNG.

Without ``--store``, a store is made in a temporary folder with the demo estate scanned twice
a day apart (``storefront-web`` fixed in between) and scanned again, so the trend, the
lifecycle states and the diff have something to show. The dashboard runs as a real
``ecs-exposure serve`` process on a free loopback port.

    PYTHONPATH=src python3 bench/dashboard_screenshots.py --out /tmp/shots
    PYTHONPATH=src python3 bench/dashboard_screenshots.py --store sqlite:///store.db --out shots

Uses Debian's chromium and chromium-driver, as the tests do.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402

from ecs_exposure.store.engine import open_store  # noqa: E402
from ecs_exposure.store.record import record  # noqa: E402
from support.browser import chromium  # noqa: E402
from support.dashboard_server import serving  # noqa: E402
from support.dashboard_store import demo_pair  # noqa: E402
from support.store_documents import demo_document  # noqa: E402

WIDTH = 1400


def demo_store(folder: Path) -> str:
    """The demo estate scanned three times (one fix in between, then back)."""
    url = f"sqlite:///{folder / 'store.db'}"
    with open_store(url) as store:
        demo_pair(store)
        doc = demo_document()
        doc["generated_at"] = "2026-12-03T00:00:00Z"
        record(store, doc)
    return url


def shoot(browser: WebDriver, address: str, target: Path) -> Path:
    """A whole-page screenshot of ``address``."""
    browser.set_window_size(WIDTH, 900)
    browser.get(address)
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(WIDTH, min(int(height) + 40, 8000))
    browser.save_screenshot(str(target))
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", help="store URL (default: a demo store made here)")
    parser.add_argument("--out", type=Path, required=True, help="folder for the PNG files")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        url = args.store or demo_store(Path(folder))
        with serving(url) as base, chromium(f"{WIDTH},900") as browser:
            written = [shoot(browser, base, args.out / "overview.png"),
                       shoot(browser, base + "findings", args.out / "findings.png")]
            link = browser.find_element(By.CSS_SELECTOR, "tr.finding-row td.title a")
            finding = str(link.get_attribute("href"))
            written.append(shoot(browser, finding, args.out / "finding.png"))
            # the demo store's first two scans: storefront-web fixed, so resolved
            diff = "diff" if args.store else "diff?a=1&b=2"
            written.append(shoot(browser, base + diff, args.out / "diff.png"))
    for path in written:
        print(path)
    if not all(re.match(rb"\x89PNG", p.read_bytes()[:4]) for p in written):
        raise SystemExit("a screenshot is not a PNG")


if __name__ == "__main__":
    main()
