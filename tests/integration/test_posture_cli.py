"""Every weakness is visible (issue 15): the posture in every format, from the command line.

Templates whose only weaknesses are contextual create no finding, yet each format shows them;
public task definitions nobody here wrote list every weakness in JSON, SARIF and HTML.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ecs_exposure.cli import main
from ecs_exposure.detectors.containers import ROOT_USER, WRITABLE_ROOT
from ecs_exposure.detectors.images import MUTABLE
from ecs_exposure.detectors.settings import EFS, INSIGHTS
from support import REALWORLD
from support.html_report import tables as html_tables
from support.iac_helpers import write

CLUSTER_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Cluster:
    Type: AWS::ECS::Cluster
    Properties:
      ClusterName: plain
"""
EFS_TASK_DEFINITION = {
    "family": "files", "networkMode": "awsvpc",
    "containerDefinitions": [{
        "name": "app", "essential": True, "user": "1000", "readonlyRootFilesystem": True,
        "image": "111122223333.dkr.ecr.us-east-1.amazonaws.com/app@sha256:" + "a" * 64,
        "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "g"}},
        "mountPoints": [{"sourceVolume": "data", "containerPath": "/data"}]}],
    "volumes": [{"name": "data", "efsVolumeConfiguration": {
        "fileSystemId": "fs-0123456789abcdef0", "transitEncryption": "DISABLED"}}],
}
FILES = {"table": "report.txt", "json": "result.json", "sarif": "results.sarif",
         "csv": "traits.csv", "markdown": "report.md", "html": "report.html"}


def _scan(out_dir: Path, *args: str) -> dict[str, str]:
    result = CliRunner().invoke(main, ["scan", *args, "--format", ",".join(FILES),
                                       "--output-dir", str(out_dir)])
    assert result.exit_code == 0, result.output
    return {fmt: (out_dir / name).read_text(encoding="utf-8") for fmt, name in FILES.items()}


@pytest.fixture(scope="module")
def contextual_only(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A CloudFormation cluster without Container Insights and a task definition with an
    EFS volume without transit encryption that no service runs: contextual weaknesses only."""
    folder = tmp_path_factory.mktemp("contextual")
    cluster = write(folder, "cluster.yaml", CLUSTER_TEMPLATE)
    task = write(folder, "files.json", json.dumps(EFS_TASK_DEFINITION))
    return _scan(folder / "out", str(cluster), str(task), "--include", "locations")


def test_contextual_weaknesses_make_no_finding(contextual_only: dict[str, str]) -> None:
    doc = json.loads(contextual_only["json"])
    assert doc["findings"] == [] and doc["task_definition_findings"] == []


def test_json_lists_them_with_evidence_location_and_remediation(
        contextual_only: dict[str, str]) -> None:
    doc = json.loads(contextual_only["json"])
    by_name = {e["resource"]["name"]: e for e in doc["posture"]}
    cluster = next(t for t in by_name["plain"]["traits"] if t["id"] == INSIGHTS.id)
    assert by_name["plain"]["resource"]["type"] == "AwsEcsCluster"
    assert cluster["evidence"]["file"].endswith("cluster.yaml")
    assert cluster["evidence"]["location"]["line"] >= 1
    guidance = doc["guidance"][INSIGHTS.id]
    assert guidance["remediation"] and cluster["severity"] == "LOW" and guidance["contextual"]
    assert "remediation" not in cluster                 # once per trait id, under guidance
    efs = next(t for t in by_name["files"]["traits"] if t["id"] == EFS.id)
    assert efs["evidence"]["pointer"] == "/volumes/0/efsVolumeConfiguration"
    assert efs["evidence"]["location"]["file"].endswith("files.json")
    assert doc["summary"]["posture"]["by_type"]["AwsEcsCluster"] == 1


def test_sarif_has_a_note_for_each(contextual_only: dict[str, str]) -> None:
    results = json.loads(contextual_only["sarif"])["runs"][0]["results"]
    for spec, file in ((INSIGHTS, "cluster.yaml"), (EFS, "files.json")):
        result = next(r for r in results if r["ruleId"] == spec.id)
        assert result["level"] == "note" and result["properties"]["posture"] is True
        physical = result["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uri"].endswith(file)
        assert physical["region"]["startLine"] >= 1


def test_csv_has_a_posture_row_for_each(contextual_only: dict[str, str]) -> None:
    rows = list(csv.DictReader(io.StringIO(contextual_only["csv"])))
    found = {(r["trait"], r["kind"], r["name"], r["record"], r["severity"]) for r in rows}
    assert (INSIGHTS.id, "cluster", "plain", "posture", "LOW") in found
    assert (EFS.id, "task definition", "files", "posture", "LOW") in found


def test_html_lists_each_in_the_posture_table(contextual_only: dict[str, str]) -> None:
    page = contextual_only["html"]
    _, rows = html_tables(page)
    found = {(r["spec"]["id"], r["entry"]["kind"]) for r in rows}
    assert (INSIGHTS.id, "cluster") in found and (EFS.id, "task definition") in found
    assert "No exposure found" in page      # the findings part says so, the posture does not


def test_markdown_counts_and_names_them(contextual_only: dict[str, str]) -> None:
    text = contextual_only["markdown"]
    assert "No exposure found." in text
    assert re.search(r"\d+ weakness(es)? on 2 resources \(1 task definition, 1 cluster\)", text)
    for spec in (INSIGHTS, EFS):
        assert f"| `{spec.id}` | LOW | 1 |" in text


def test_the_table_names_them_in_its_posture_line(contextual_only: dict[str, str]) -> None:
    text = " ".join(contextual_only["table"].split())
    assert "Posture:" in text and "on 2 resources" in text
    posture = {t["id"] for e in json.loads(contextual_only["json"])["posture"]
               for t in e["traits"]}
    named = set(re.findall(r"([a-z][a-z0-9-]+) ×1", text))
    assert named <= posture and len(named) == min(6, len(posture))
    assert text.count("×1 …") == (len(posture) > 6)


def test_only_and_min_severity_narrow_the_view_not_the_gate(tmp_path: Path) -> None:
    task = write(tmp_path, "root.json", json.dumps(
        {"family": "root", "containerDefinitions": [{"name": "app", "image": "nginx:1.27",
                                                     "privileged": True}]}))
    scan = ["scan", str(task), "--format", "json", "--fail-on", "low"]
    both = CliRunner().invoke(main, scan)
    assert both.exit_code == 1
    doc = json.loads(both.stdout)
    assert doc["task_definition_findings"] and doc["posture"]
    posture = CliRunner().invoke(main, [*scan, "--only", "posture", "--min-severity", "high"])
    assert posture.exit_code == 1                       # the gate judged everything
    narrowed = json.loads(posture.stdout)
    assert narrowed["task_definition_findings"] == []
    assert {t["severity"] for e in narrowed["posture"] for t in e["traits"]} == {"HIGH"}
    findings = json.loads(CliRunner().invoke(main, [*scan, "--only", "findings"]).stdout)
    assert findings["posture"] == [] and findings["task_definition_findings"]


def _compliance_markdown(*args: str) -> str:
    result = CliRunner().invoke(main, ["scan", "--demo", "--format", "markdown",
                                       "--compliance", "aws-well-architected-sec06-bp02",
                                       *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_demo_well_architected_report_has_a_row_per_practice() -> None:
    text = _compliance_markdown()
    section = text.split("### Compliance: ")[1]
    assert section.startswith("AWS Well-Architected SEC06-BP02")
    assert "**5 fail** · 1 not evaluated · 0 pass" in section
    rows = [line for line in section.splitlines() if line.startswith("| ")][1:]
    practices = [row.split(" | ")[0].removeprefix("| ") for row in rows]
    assert practices == [
        "Acquire images only from trusted registries",
        "Verify the signatures (integrity) of the images you run",
        "Keep trusted images in your own private registries",
        "Scan images regularly and rebuild them from patched bases",
        "Remove software packages that are not required",
        "Remove default users: run as a non-root user"]
    status = {p: row.split(" | ")[1] for p, row in zip(practices, rows, strict=True)}
    assert status["Remove software packages that are not required"] == "⚪ not evaluated"
    assert status["Remove default users: run as a non-root user"] == "❌ fail"
    non_root = rows[-1]
    assert "task-definition/storefront-web:7" in non_root and "`root-user` on 5" in non_root
    assert re.search(r"legacy-admin-3\.json line \d+", non_root)      # evidence location
    assert "0 of 16 images inspected" in rows[4]


def test_compliance_is_in_json_html_and_table(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, [
        "scan", "--demo", "--format", "json,html,table", "--output-dir", str(tmp_path),
        "--compliance", "aws-securityhub-ecs", "--compliance", "nist-800-190",
        "--include", "locations"])
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "result.json").read_text())
    cspm = doc["compliance"]["aws-securityhub-ecs"]
    ecs_20 = next(c for c in cspm["controls"] if c["id"] == "ECS.20")
    assert ecs_20["status"] == "fail" and ecs_20["failures"]
    failure = ecs_20["failures"][0]
    assert failure["trait"]["id"] == ROOT_USER.id and failure["trait"]["evidence"]["location"]
    assert {u["id"] for u in cspm["not_covered"]} >= {"ECS.13", "ECS.19"}
    assert "ECS.21" in {c["id"] for c in cspm["controls"]}   # windows-admin-user answers it
    assert set(doc["compliance"]) == {"aws-securityhub-ecs", "nist-800-190"}
    page = (tmp_path / "report.html").read_text()
    assert 'id="compliance-aws-securityhub-ecs"' in page and "ECS.20" in page
    table = (tmp_path / "report.txt").read_text()
    assert "NIST SP 800-190" in table and "4.4.3" in table


# --- public task definitions nobody here wrote --------------------------------------------

@pytest.fixture(scope="module")
def realworld(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if not REALWORLD.exists():
        pytest.skip("shared/realworld not present")
    out = tmp_path_factory.mktemp("realworld")
    texts = _scan(out, str(REALWORLD))
    doc = json.loads(texts["json"])
    return {"doc": doc, "sarif": json.loads(texts["sarif"]), "html": texts["html"]}


def _weak(doc: dict[str, Any]) -> dict[str, set[str]]:
    """Task definition key → its weaknesses among root user, writable root, mutable tag."""
    wanted = {ROOT_USER.id, WRITABLE_ROOT.id, MUTABLE.id}
    return {e["resource"]["arn"]: {t["id"] for t in e["traits"]} & wanted
            for e in doc["posture"] if e["resource"]["type"] == "AwsEcsTaskDefinition"}


def test_realworld_json_lists_every_task_definition(realworld: dict[str, Any]) -> None:
    doc = realworld["doc"]
    weak = _weak(doc)
    assert len(weak) == doc["summary"]["task_definitions"] > 60    # every one, not 2
    with_findings = len(doc["task_definition_findings"])
    assert with_findings < 10                                     # few correlated exposures
    counts = {trait: sum(trait in ids for ids in weak.values())
              for trait in (ROOT_USER.id, WRITABLE_ROOT.id, MUTABLE.id)}
    assert min(counts.values()) > 50, counts


def test_realworld_sarif_locates_every_weakness(realworld: dict[str, Any]) -> None:
    results = realworld["sarif"]["runs"][0]["results"]
    located: dict[str, set[str]] = {}
    for item in results:
        for location in item["locations"]:
            for logical in location.get("logicalLocations", []):
                located.setdefault(logical["fullyQualifiedName"], set()).add(item["ruleId"])
    for key, weaknesses in _weak(realworld["doc"]).items():
        assert weaknesses <= located.get(key, set()), key


def test_realworld_html_shows_every_task_definition(realworld: dict[str, Any]) -> None:
    _, rows = html_tables(realworld["html"])
    roots = [r for r in rows
             if r["spec"]["id"] == ROOT_USER.id and r["entry"]["kind"] == "task definition"]
    assert len(roots) == sum(
        1 for e in realworld["doc"]["posture"] for t in e["traits"] if t["id"] == ROOT_USER.id
        and e["resource"]["type"] == "AwsEcsTaskDefinition")
    names = {r["entry"]["name"] for r in rows}
    for entry in realworld["doc"]["posture"]:
        assert entry["resource"]["name"] in names
