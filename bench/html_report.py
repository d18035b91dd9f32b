"""Measure the HTML report at scale: the file's size, and how soon it is interactive in
headless Chromium (DESIGN §9: 10,000 services → under 15 MB, interactive within 3 s).

    PYTHONPATH=src nice python3 bench/html_report.py                        # 10,000 services
    PYTHONPATH=src nice python3 bench/html_report.py --services 1000 --runs 1
    PYTHONPATH=src nice python3 bench/html_report.py --estate /tmp/estate   # an estate you have

Steps:

1. the estate: ``bench/generate.py``'s (``--services``, 20 vulnerability records a service up
   to 200,000, as ``bench/run.py`` makes it), cached in ``--workdir``
   (``/tmp/ecs-exposure-bench``, shared with ``bench/run.py``), or ``--estate DIR``;
2. ``ecs-exposure scan <inputs> --format html --output report.html`` in a child process, as a
   user runs it (wall time and peak RSS, for the record; the scan's budgets are
   ``bench/run.py``'s);
3. the file's size;
4. ``--runs`` fresh loads of the file in headless Chromium (Debian's ``chromium`` and
   ``chromium-driver``, started as the tests start it: ``tests/support/browser.py``), each
   timed from the navigation's start (the page's own clock, ``performance.now()``):
   DOMContentLoaded, the load event, *tables ready* (the page's ``ecs-exposure:tables-ready``
   mark: the tables' data block inflated and parsed, the first page of both tables drawn),
   *prose ready* (``ecs-exposure:prose-ready``: the second block, each finding's why and fix
   and each trait's evidence, read and the tables redrawn with it), and, issued one after the
   other as soon as the tables are ready (while the prose is still being read), the user's
   first actions, each timed from click or keystroke to the new rows laid out: sort the
   findings by resource, type a service name beyond the first 50 into the findings search,
   open that row's details, sort the posture by weakness and search it for the service's
   family. **Interactive** is the moment the first two (a sort click and a filter typed) had
   both answered with rows, WebDriver's round trips between them included.

Not a test: speed is measured here, never asserted in the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from time import perf_counter
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from bench.generate import MANIFEST, parse_count  # noqa: E402
from bench.run import child_env, ensure_estate  # noqa: E402
from support.browser import chromium  # noqa: E402

BUDGET_MB = 15.0
BUDGET_SECONDS = 3.0
Json = dict[str, Any]

# One user action in the page: run it, force the layout, and report how long it took and
# how many table rows are shown after it. Arguments: the action's name, a value.
_ACT = """
const [name, value] = arguments;
const start = performance.now();
const type = (id, text) => {
  const box = document.getElementById(id);
  box.value = text;
  box.dispatchEvent(new Event("input", {bubbles: true}));
};
if (name === "sort findings") {
  document.querySelector('#f-table button.sort[data-sort="name"]').click();
} else if (name === "search findings") {
  type("f-search", value);
} else if (name === "open a row") {
  document.querySelector("#f-table tr.row").click();
} else if (name === "sort posture") {
  document.querySelector('#p-table button.sort[data-sort="trait"]').click();
} else if (name === "search posture") {
  type("p-search", value);
}
void document.body.offsetHeight;                       // style and layout of the new rows
const table = name.endsWith("posture") ? "#p-table" : "#f-table";
return {ms: performance.now() - start, at: performance.now(),
        rows: document.querySelectorAll(table + " tbody tr.row").length,
        details: document.querySelectorAll(table + " tbody tr.detail").length};
"""
ACTIONS = ("sort findings", "search findings", "open a row", "sort posture", "search posture")
INTERACTIVE = ("sort findings", "search findings")
"""The actions whose answer makes the page interactive: a sort click and a filter typed."""


def _estate(args: argparse.Namespace) -> tuple[Path, Json]:
    if args.estate:
        manifest_path = args.estate / MANIFEST
        manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
        return args.estate, manifest
    vulns = min(args.services * 20, 200_000)
    return ensure_estate(args.workdir, args.services, vulns, args.seed)


def _inputs(folder: Path, manifest: Json) -> list[Path]:
    inputs = manifest.get("inputs") or {}
    names = [*inputs.get("services", ()), *inputs.get("vulnerabilities", ())]
    return [folder / name for name in names] or [folder]


def _searched(manifest: Json) -> str:
    """A service name the search should find: the last one the generator planted traits in
    (the services are in no particular order, so it is rarely among the first 50 findings)."""
    planted = manifest.get("planted") or {}
    named = [arn for arn, traits in planted.items() if traits]
    return named[-1].rsplit("/", 1)[-1] if named else "root"


def family(service: str) -> str:
    """The generator's family of a service (``svc-00200-2`` → ``svc-00200``)."""
    head, _, tail = service.rpartition("-")
    return head if head and tail.isdigit() else service


def scan_to_html(paths: list[Path], output: Path) -> Json:
    """``ecs-exposure scan … --format html --output FILE``: wall seconds and peak RSS."""
    argv = [sys.executable, "-m", "ecs_exposure", "scan", *map(str, paths),
            "--format", "html", "--output", str(output)]
    start = perf_counter()
    proc = subprocess.Popen(argv, env=child_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = perf_counter() - start
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise RuntimeError(f"ecs-exposure scan failed: {err.decode(errors='replace')[-2000:]}")
    return {"seconds": seconds, "peak_rss_mib": usage.ru_maxrss / 1024}


def _mark(browser: WebDriver, name: str) -> float | None:
    found = browser.execute_script(
        "const m = performance.getEntriesByName(arguments[0]); "
        "return m.length ? m[0].startTime : null;", name)
    return None if found is None else float(found)


def load_once(browser: WebDriver, page: Path, term: str) -> Json:
    """One fresh load of the page and the first actions, timed by the page's clock."""
    browser.get("about:blank")
    browser.get(page.as_uri())                   # returns after the load event
    WebDriverWait(browser, 120, poll_frequency=0.01).until(
        lambda b: b.execute_script("return document.documentElement.dataset.ready"))
    state = browser.execute_script("return document.documentElement.dataset.ready")
    if state != "true":
        raise RuntimeError(f"the page could not read its data ({state})")
    actions = {}
    for name in ACTIONS:               # issued at once: the prose may still be inflating
        # the posture search: the service's family (its task definitions' weaknesses), since
        # a service whose traits are all on its task definition has no posture row itself
        value = term if name == "search findings" else family(term) if name.startswith(
            "search") else ""
        answer = browser.execute_script(_ACT, name, value)
        if not answer["rows"]:
            raise RuntimeError(f"{name}: no rows shown")
        actions[name] = answer
    WebDriverWait(browser, 120, poll_frequency=0.01).until(
        lambda b: b.execute_script("return document.documentElement.dataset.loaded"))
    timing: Json = browser.execute_script("""
        const nav = performance.getEntriesByType("navigation")[0];
        return {dom_ms: nav.domContentLoadedEventEnd, load_ms: nav.loadEventEnd,
                heap_mib: performance.memory ? performance.memory.usedJSHeapSize / 1048576 : 0};
    """)
    timing["ready_ms"] = _mark(browser, "ecs-exposure:tables-ready")
    timing["prose_ms"] = _mark(browser, "ecs-exposure:prose-ready")
    timing["actions"] = actions
    timing["interactive_ms"] = max(actions[a]["at"] for a in INTERACTIVE)
    timing["all_actions_ms"] = max(a["at"] for a in actions.values())
    timing["shown"] = {"findings": browser.find_element("id", "f-shown").text,
                       "posture": browser.find_element("id", "p-shown").text}
    return timing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--services", type=parse_count, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3, help="fresh page loads (median shown)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/ecs-exposure-bench"))
    parser.add_argument("--estate", type=Path, help="an estate folder to scan instead")
    parser.add_argument("--keep", type=Path, help="keep the report at this path")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--page", type=Path,
                        help="measure this report (of the estate) instead of scanning again")
    args = parser.parse_args(argv)

    folder, manifest = _estate(args)
    with tempfile.TemporaryDirectory(prefix="html-bench-") as scratch:
        page = args.page or args.keep or Path(scratch) / "report.html"
        scan: Json = {"seconds": 0.0, "peak_rss_mib": 0.0}
        if not args.page:
            print(f"scanning {folder} to HTML …", flush=True)
            scan = scan_to_html(_inputs(folder, manifest), page)
        size = page.stat().st_size
        term = _searched(manifest)
        runs = []
        with chromium() as browser:
            browser.set_page_load_timeout(300)
            browser.set_script_timeout(120)
            for _ in range(args.runs):
                runs.append(load_once(browser, page, term))

    def median(key: str) -> float:
        return statistics.median(float(r[key]) for r in runs)

    def action(name: str) -> float:
        return statistics.median(float(r["actions"][name]["ms"]) for r in runs)

    figures = {"services": manifest.get("services"), "estate": str(folder),
               "scan": scan, "bytes": size, "search": term,
               "shown": runs[-1]["shown"], "runs": runs,
               "median": {"dom_ms": median("dom_ms"), "load_ms": median("load_ms"),
                          "ready_ms": median("ready_ms"), "prose_ms": median("prose_ms"),
                          "interactive_ms": median("interactive_ms"),
                          "all_actions_ms": median("all_actions_ms"),
                          "heap_mib": median("heap_mib"),
                          "actions": {name: action(name) for name in ACTIONS}},
               "load_average": os.getloadavg()}
    mb = size / 1e6
    med = figures["median"]
    print(f"services {figures['services']}: scan to HTML {scan['seconds']:.1f} s, "
          f"peak {scan['peak_rss_mib']:.0f} MiB")
    verdict = "met" if mb < BUDGET_MB else "NOT met"
    print(f"file: {mb:.2f} MB (budget {BUDGET_MB:.0f} MB: {verdict})")
    print(f"Chromium, median of {len(runs)} loads (ms from navigation start): "
          f"DOMContentLoaded {med['dom_ms']:.0f}, load {med['load_ms']:.0f}, "
          f"tables ready {med['ready_ms']:.0f}, interactive {med['interactive_ms']:.0f} "
          f"(budget {BUDGET_SECONDS * 1000:.0f}: "
          f"{'met' if med['interactive_ms'] < BUDGET_SECONDS * 1000 else 'NOT met'}), "
          f"all five actions answered {med['all_actions_ms']:.0f}, prose ready "
          f"{med['prose_ms']:.0f}; JS heap {med['heap_mib']:.0f} MiB")
    print("first actions (ms, click or keystroke to rows laid out): " + ", ".join(
        f"{name} {ms:.0f}" for name, ms in med["actions"].items()))
    print(f"search {term!r}: {figures['shown']['findings']} findings; {family(term)!r}: "
          f"{figures['shown']['posture']} weaknesses; load average "
          f"{figures['load_average'][0]:.1f}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
