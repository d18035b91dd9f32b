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

from ecs_exposure.detectors.registry import catalog
from ecs_exposure.detectors.vulnerabilities import EXPLOITABLE
from ecs_exposure.model import ScanResult
from ecs_exposure.reporters import sarif
from ecs_exposure.reporters.common import SEVERITY_ORDER
from ecs_exposure.reporters.posture_view import beyond_findings
from ecs_exposure.sources.positions import Position, locate
from support import FIXTURES
from support.report_inputs import demo_context, demo_dir, demo_result, hostile_result

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
    # the trait's own weight, whatever this run found: privileged is medium alone, a KEV-
    # listed exploitable vulnerability high, contextual traits low (GitHub's bands)
    assert privileged["properties"]["security-severity"] == "5.5"
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
