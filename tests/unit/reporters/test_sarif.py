"""SARIF 2.1.0: valid against the official schema, rules from the trait catalog, results located
by file/line/column or, for live resources, logically."""

from __future__ import annotations

import dataclasses
import json
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jsonschema
import pytest

from ecs_exposure.detectors.network import OPEN_SG
from ecs_exposure.detectors.registry import catalog
from ecs_exposure.detectors.vulnerabilities import EXPLOITABLE
from ecs_exposure.model import ScanResult
from ecs_exposure.pipeline import scan_for_reports
from ecs_exposure.reporters import sarif
from ecs_exposure.reporters.common import SEVERITY_ORDER
from ecs_exposure.reporters.posture_view import beyond_findings
from ecs_exposure.sources.load import load_inputs
from ecs_exposure.sources.positions import Position, locate
from support import FIXTURES
from support.report_inputs import DEMO_CLOCK, demo_context, demo_dir, demo_result, hostile_result
from support.sarif_github import github_problems, schema_errors

SCHEMA = FIXTURES / "sarif-schema-2.1.0.json"


@cache
def validator() -> Any:
    schema = json.loads(SCHEMA.read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _errors(log: dict[str, Any]) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in validator().iter_errors(log)]


@pytest.fixture(scope="module")
def demo() -> dict[str, Any]:
    return sarif.sarif_log(demo_result(), root=Path(demo_dir()).parent.parent.parent,
                           context=demo_context())


def test_demo_log_is_valid_sarif(demo: dict[str, Any]) -> None:
    assert _errors(demo) == []
    assert demo["version"] == "2.1.0"


def test_the_schema_catches_mistakes(demo: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(demo))
    broken["runs"][0]["results"][0]["level"] = "fatal"
    broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"][
        "startLine"] = 0
    assert len(_errors(broken)) >= 2


def test_one_rule_per_trait_from_the_catalog(demo: dict[str, Any]) -> None:
    rules = demo["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [spec.id for spec in catalog()]
    by_id = {r["id"]: r for r in rules}
    privileged = by_id["privileged-container"]
    assert privileged["name"] == "PrivilegedContainer"
    assert privileged["shortDescription"]["text"] == "Privileged container"
    assert "privileged" in privileged["help"]["text"]
    assert "**Fix:**" in privileged["help"]["markdown"]
    assert privileged["helpUri"].startswith("https://")
    assert "CSPM ECS.4" in privileged["properties"]["references"]
    # the trait's own weight, whatever this run found: privileged is high alone (CSPM ECS.4),
    # an open security group medium, contextual traits low (GitHub's bands)
    assert privileged["properties"]["security-severity"] == "8.0"
    assert by_id[OPEN_SG.id]["properties"]["security-severity"] == "5.5"
    assert by_id[EXPLOITABLE.id]["properties"]["security-severity"] == "8.0"
    for spec in catalog():
        number = float(by_id[spec.id]["properties"]["security-severity"])
        assert 0.1 <= number < 9.0                      # never critical: that takes a finding
        if spec.contextual:
            assert number < 4.0, spec.id
            assert by_id[spec.id]["defaultConfiguration"]["level"] == "note"


def test_one_result_per_trait_location(demo: dict[str, Any]) -> None:
    result = demo_result()
    findings = result.findings + result.task_definition_findings
    results = demo["runs"][0]["results"]
    rules = demo["runs"][0]["tool"]["driver"]["rules"]
    for item in results:
        assert rules[item["ruleIndex"]]["id"] == item["ruleId"]
    # no two results on the same rule/file/line: a security group fronting two services is
    # one alert naming both findings
    places = [(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
               r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in results]
    assert len(places) == len(set(places))
    shared = [r for r in results if r["properties"].get("finding-count", 1) > 1]
    assert {r["ruleId"] for r in shared} >= {"open-security-group"}
    for item in shared:
        assert len(item["properties"]["findings"]) == item["properties"]["finding-count"]
        assert "other finding" in item["message"]["text"]
    # every trait of every finding is at one of the results, and each posture weakness no
    # finding lists is a result of its own
    ids = {r["ruleId"] for r in results if not r["properties"].get("posture")}
    assert ids == {t.id for f in findings for t in f.traits}
    posture = [r for r in results if r["properties"].get("posture")]
    assert 0 < len(posture) <= len(list(beyond_findings(result)))
    assert all(r["level"] == "note" for r in posture if r["properties"]["contextual"])
    fingerprints = [r["partialFingerprints"]["primaryLocationLineHash"] for r in results]
    assert len(set(fingerprints)) == len(results)
    assert all(re.fullmatch(r"[0-9a-f]{16}:1", f) for f in fingerprints)
    assert all(set(r["partialFingerprints"]) == {"primaryLocationLineHash"} for r in results)
    # the level is the finding's severity (contextual traits are notes)
    levels = {(r["properties"]["finding-severity"], r["properties"]["contextual"], r["level"])
              for r in results if "finding" in r["properties"]}
    assert ("CRITICAL", False, "error") in levels and ("MEDIUM", False, "warning") in levels
    assert all(level == "note" for _, contextual, level in levels if contextual)
    # most severe first: GitHub shows the first 5,000 and a capped run keeps the first
    order = [SEVERITY_ORDER.index(r["properties"].get("finding-severity")
                                  or r["properties"]["posture-severity"]) for r in results]
    assert order == sorted(order)


def test_file_locations_point_at_the_field(demo: dict[str, Any]) -> None:
    root = Path(demo_dir()).parent.parent.parent
    run = demo["runs"][0]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == root.as_uri() + "/"
    privileged = next(r for r in run["results"] if r["ruleId"] == "privileged-container"
                      and "storefront-web" in r["message"]["text"])
    physical = privileged["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {
        "uri": "src/ecs_exposure/demo/ecs/task-definitions/storefront-web-7.json",
        "uriBaseId": "%SRCROOT%"}
    assert physical["region"] == {"startLine": 40, "startColumn": 23}
    assert privileged["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == (
        "arn:aws:ecs:us-east-1:111122223333:task-definition/storefront-web:7")
    for item in run["results"]:
        location = item["locations"][0]
        physical = location["physicalLocation"]
        path = root / unquote(physical["artifactLocation"]["uri"])
        line = path.read_text().splitlines()[physical["region"]["startLine"] - 1]
        assert line[physical["region"]["startColumn"] - 1] in '"[{tf0123456789-n'
        assert location["logicalLocations"][0]["kind"] == "resource"


def test_files_outside_the_root_get_absolute_uris(tmp_path: Path) -> None:
    result = hostile_result(tmp_path / "estate")
    log = sarif.sarif_log(result, root=tmp_path / "elsewhere")
    assert _errors(log) == []
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in log["runs"][0]["results"]}
    assert all(uri.startswith("file:///") for uri in uris)
    privileged = next(r for r in log["runs"][0]["results"] if r["ruleId"] == "privileged-container")
    region = privileged["locations"][0]["physicalLocation"]["region"]
    file = tmp_path / "estate" / "td-xss.json"
    assert locate(str(file), "/taskDefinition/containerDefinitions/0/privileged") == Position(
        region["startLine"], region["startColumn"])
    line = file.read_text().splitlines()[region["startLine"] - 1]
    assert line[region["startColumn"] - 1:].startswith("true")
    assert line.strip().startswith('"privileged"')


def _live(result: ScanResult) -> ScanResult:
    """The same scan as if collected from AWS: no trait has an input file."""
    findings = tuple(dataclasses.replace(f, traits=tuple(
        dataclasses.replace(t, source=None, file_pointer=None) for t in f.traits))
        for f in result.findings)
    return dataclasses.replace(result, findings=findings)


def test_live_resources_get_logical_locations(tmp_path: Path) -> None:
    log = sarif.sarif_log(_live(hostile_result(tmp_path)))
    assert _errors(log) == []
    for item in log["runs"][0]["results"]:
        location = item["locations"][0]
        assert "physicalLocation" not in location
        logical = location["logicalLocations"][0]
        assert logical["kind"] == "resource" and logical["fullyQualifiedName"].startswith("arn:")


def test_input_errors_become_notifications(tmp_path: Path) -> None:
    from ecs_exposure.model import SourceError

    result = dataclasses.replace(hostile_result(tmp_path), errors=(
        SourceError(str(tmp_path / "bad.json"), "line 1 column 2: expected value"),))
    log = sarif.sarif_log(result, root=tmp_path)
    assert _errors(log) == []
    notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert notes[0]["level"] == "error" and "line 1 column 2" in notes[0]["message"]["text"]
    assert notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "bad.json"


def test_cli_writes_sarif_relative_to_the_current_folder(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from ecs_exposure.cli import main
    from support.report_inputs import write_hostile_estate

    write_hostile_estate(tmp_path / "estate")
    monkeypatch.chdir(tmp_path)
    out = CliRunner().invoke(main, ["scan", "estate", "--format", "sarif"])
    log = json.loads(out.stdout)
    assert _errors(log) == []
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in log["runs"][0]["results"]}
    assert "estate/td-xss.json" in uris


# --- GitHub code scanning ------------------------------------------------------------------

def test_demo_log_meets_github_code_scanning_rules(demo: dict[str, Any]) -> None:
    assert github_problems(demo) == []


def test_the_github_checker_catches_mistakes(demo: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(demo))
    run = broken["runs"][0]
    run["tool"]["driver"]["rules"][0]["properties"]["tags"] = [f"t{i}" for i in range(21)]
    run["tool"]["driver"]["rules"][1]["properties"]["security-severity"] = 9.5   # not a string
    run["results"][0]["partialFingerprints"] = {"ecsExposureTrait/v1": "abc"}
    run["results"].append(json.loads(json.dumps(run["results"][1])))            # a duplicate
    problems = github_problems(broken)
    assert len(problems) >= 4, problems


def test_rule_metadata_is_the_same_whatever_the_run(demo: dict[str, Any],
                                                    tmp_path: Path) -> None:
    other = sarif.sarif_log(hostile_result(tmp_path), root=tmp_path)
    empty = sarif.sarif_log(dataclasses.replace(demo_result(), findings=(),
                                                task_definition_findings=(), posture=()))
    rules = demo["runs"][0]["tool"]["driver"]["rules"]
    assert other["runs"][0]["tool"]["driver"]["rules"] == rules
    assert empty["runs"][0]["tool"]["driver"]["rules"] == rules
    assert empty["runs"][0]["results"] == []


def test_too_many_results_keeps_the_most_severe_and_says_so() -> None:
    told: list[str] = []
    full = sarif.sarif_log(demo_result(), context=demo_context())
    capped = sarif.sarif_log(demo_result(), context=demo_context(), max_results=5,
                             warn=told.append)
    assert capped["runs"][0]["results"] == full["runs"][0]["results"][:5]
    assert capped["runs"][0]["results"][0]["properties"]["finding-severity"] == "CRITICAL"
    left_out = len(full["runs"][0]["results"]) - 5
    assert capped["runs"][0]["properties"]["results-left-out"] == left_out
    [note] = [n for n in capped["runs"][0]["invocations"][0]["toolExecutionNotifications"]
              if "left out" in n["message"]["text"]]
    assert note["level"] == "warning"
    assert told == [note["message"]["text"]]
    assert f"{left_out} of {left_out + 5} results left out" in told[0]
    # the CRITICAL finding alone has more than 5 trait locations
    assert "even --min-severity critical does not fit" in told[0]
    assert "results-left-out" not in full["runs"][0].get("properties", {})


def test_cli_says_on_stderr_when_results_were_left_out(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from ecs_exposure.cli import main

    monkeypatch.setattr(sarif, "MAX_RESULTS", 20)
    out = CliRunner().invoke(main, ["scan", "--demo", "--format", "sarif", "-o",
                                    str(tmp_path / "r.sarif"), "--config", "/dev/null"])
    assert out.exit_code == 0, out.output
    assert "warning: SARIF:" in out.stderr and "--min-severity critical fits" in out.stderr
    assert len(json.loads((tmp_path / "r.sarif").read_text())["runs"][0]["results"]) == 20
    narrowed = CliRunner().invoke(main, ["scan", "--demo", "--format", "sarif", "-o",
                                         str(tmp_path / "n.sarif"), "--config", "/dev/null",
                                         "--only", "findings", "--min-severity", "critical"])
    assert "warning: SARIF" not in narrowed.stderr             # 17 results: all there
    assert len(json.loads((tmp_path / "n.sarif").read_text())["runs"][0]["results"]) < 20


def test_source_root_makes_uris_relative_to_it(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from ecs_exposure.cli import main
    from support.report_inputs import write_hostile_estate

    repo = tmp_path / "repo"
    write_hostile_estate(repo / "infra")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    out = CliRunner().invoke(main, ["scan", str(repo / "infra"), "--format", "sarif",
                                    "--source-root", str(repo), "--config", "/dev/null"])
    log = json.loads(out.stdout)
    assert schema_errors(log) == [] and github_problems(log) == []
    run = log["runs"][0]
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": repo.as_uri() + "/"}}
    artifacts = {json.dumps(r["locations"][0]["physicalLocation"]["artifactLocation"])
                 for r in run["results"]}
    assert json.dumps({"uri": "infra/td-xss.json", "uriBaseId": "%SRCROOT%"}) in artifacts
    assert all('"uriBaseId": "%SRCROOT%"' in a for a in artifacts)


def _fingerprints(log: dict[str, Any]) -> dict[str, tuple[str, int]]:
    return {r["partialFingerprints"]["primaryLocationLineHash"]: (
        r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"])
        for r in log["runs"][0]["results"]}


def test_fingerprints_survive_moved_lines_and_another_checkout(tmp_path: Path) -> None:
    first = sarif.sarif_log(hostile_result(tmp_path / "a"), root=tmp_path / "a")
    again = sarif.sarif_log(hostile_result(tmp_path / "b"), root=tmp_path / "b")
    assert _fingerprints(first) == _fingerprints(again)        # another folder, same repo
    task = tmp_path / "a" / "td-xss.json"
    task.write_text("\n\n\n" + task.read_text())                # lines move down
    from support.report_inputs import DEMO_SETTINGS

    paths = sorted((tmp_path / "a").glob("*.json"))
    inventory, report = load_inputs(paths)
    moved_result, _ = scan_for_reports(inventory, DEMO_SETTINGS, errors=report.errors,
                                       inputs=[str(p) for p in paths])
    moved = _fingerprints(sarif.sarif_log(moved_result, root=tmp_path / "a"))
    assert moved.keys() == _fingerprints(first).keys()
    shifted = [key for key, (_, line) in moved.items() if line != _fingerprints(first)[key][1]]
    assert shifted and all(moved[k][1] == _fingerprints(first)[k][1] + 3 for k in shifted)


def test_a_location_accepted_for_one_finding_stays_open_for_another() -> None:
    from ecs_exposure.exposure.suppressions import apply_suppressions
    from ecs_exposure.model import Suppression

    payments = "arn:aws:ecs:us-east-1:111122223333:service/prod/payments-api"
    rule = Suppression(reason="only the load balancer's range", pointer="/suppressions/0",
                       resource=payments, traits=(OPEN_SG.id,))
    result = apply_suppressions(demo_result(), [rule], DEMO_CLOCK.date())
    log = sarif.sarif_log(result, context=demo_context())
    pay_id = next(f.id for f in result.findings if f.arn == payments)
    shared = [r for r in log["runs"][0]["results"] if r["ruleId"] == OPEN_SG.id
              and pay_id in r["properties"].get("findings", [])]
    assert shared
    for item in shared:
        assert "suppressions" not in item and item["properties"]["status"] == "open"
        assert item["properties"]["suppressed-findings"] == [pay_id]
    alone = [r for r in log["runs"][0]["results"] if r["ruleId"] == OPEN_SG.id
             and r["properties"].get("finding") == pay_id and "findings" not in r["properties"]]
    for item in alone:                             # only payments-api there: accepted
        assert item["suppressions"][0]["justification"] == "only the load balancer's range"
