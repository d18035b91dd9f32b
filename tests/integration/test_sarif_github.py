"""SARIF of a 5,000-service estate (the benchmark's generator) uploads within GitHub code
scanning's limits, with rule severities that do not depend on the run.

The estate is generated and scanned once; the SARIF is rendered from that one scan as the
default report (over GitHub's 25,000 results: capped, saying so) and as the ``--min-severity``
it suggests would narrow it (under the limit, nothing left out), and both are compared with the
demo's rules. The official schema is checked on a sample of the 25,000 results (every result
is built by the same code; jsonschema on all of them would take minutes), GitHub's rules on
all. No timing here: speed is ``bench/``'s.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from ecs_exposure.model import ScanResult, Severity
from ecs_exposure.pipeline import scan_for_reports
from ecs_exposure.reporters import sarif
from ecs_exposure.reporters.context import ReportContext
from ecs_exposure.reporters.selection import select
from ecs_exposure.sources.load import load_inputs
from support import ROOT
from support.builders import SETTINGS
from support.report_inputs import demo_context, demo_result
from support.sarif_github import github_problems, schema_errors

if str(ROOT) not in sys.path:  # bench/ is a folder of scripts beside src/, not installed
    sys.path.insert(0, str(ROOT))

from bench.generate import generate  # noqa: E402

SERVICES = 5000


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ScanResult, ReportContext]:
    folder = tmp_path_factory.mktemp("github") / "estate"
    generate(folder, SERVICES, 5_000, seed=5)
    paths = sorted(p for p in folder.rglob("*.json") if not p.name.startswith("."))
    inventory, report = load_inputs(paths)
    result, context = scan_for_reports(inventory, SETTINGS, errors=report.errors,
                                       inputs=[str(folder)])
    assert result.services == SERVICES and not result.errors
    return folder, result, context


@pytest.fixture(scope="module")
def logs(estate: tuple[Path, ScanResult, ReportContext]) -> dict[str, Any]:
    folder, result, context = estate
    told: list[str] = []
    full = sarif.sarif_log(result, folder.parent, context, warn=told.append)
    fitting = re.search(r"--min-severity (\w+) fits", told[0])
    assert fitting is not None, told
    narrowed = sarif.sarif_log(select(result, min_severity=Severity.parse(fitting[1])),
                               folder.parent, context, warn=told.append)
    return {"full": full, "narrowed": narrowed, "told": told}


def _sample(log: dict[str, Any], every: int = 25) -> dict[str, Any]:
    run = dict(log["runs"][0], results=log["runs"][0]["results"][::every])
    return dict(log, runs=[run])


def test_every_log_uploads_within_githubs_limits(logs: dict[str, Any]) -> None:
    for name in ("full", "narrowed"):
        log = logs[name]
        assert schema_errors(_sample(log)) == [], name
        assert github_problems(log) == [], name


def test_the_estate_needs_the_cap_and_says_how_to_avoid_it(logs: dict[str, Any]) -> None:
    full = logs["full"]["runs"][0]
    left_out = full["properties"]["results-left-out"]
    assert len(full["results"]) == sarif.MAX_RESULTS and left_out > 0
    [message] = logs["told"]                        # the narrowed log needed no cap
    assert f"{left_out:,} of {sarif.MAX_RESULTS + left_out:,} results left out" in message
    notes = [n["message"]["text"] for n in full["invocations"][0]["toolExecutionNotifications"]]
    assert message in notes
    narrowed = logs["narrowed"]["runs"][0]
    assert "results-left-out" not in narrowed.get("properties", {})
    assert 0 < len(narrowed["results"]) <= sarif.MAX_RESULTS
    # the cap kept the most severe: every result of the narrowed report is in the full one
    kept = {r["partialFingerprints"]["primaryLocationLineHash"] for r in full["results"]}
    assert {r["partialFingerprints"]["primaryLocationLineHash"]
            for r in narrowed["results"]} <= kept


def test_one_result_per_rule_file_and_line(logs: dict[str, Any]) -> None:
    results = logs["full"]["runs"][0]["results"]
    places = Counter((r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]
                      ["uri"], r["locations"][0]["physicalLocation"]["region"]["startLine"])
                     for r in results)
    assert max(places.values()) == 1
    assert all(not r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
               .startswith("file:") for r in results)     # all under the source root
    # a security group or cluster shared by many services is one alert naming them
    assert max(r["properties"].get("finding-count", 1) for r in results) > 10


def test_rule_metadata_is_identical_from_run_to_run(logs: dict[str, Any]) -> None:
    demo = sarif.sarif_log(demo_result(), context=demo_context())
    rules = demo["runs"][0]["tool"]["driver"]["rules"]
    assert logs["full"]["runs"][0]["tool"]["driver"]["rules"] == rules
    assert logs["narrowed"]["runs"][0]["tool"]["driver"]["rules"] == rules
