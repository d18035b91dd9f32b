"""OCSF output: valid Detection Findings (OCSF 1.6.0, cloud profile), shaped like Security Hub's
exposure findings."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ocsf_json_schema import OcsfJsonSchemaEmbedded, get_ocsf_schema

from ecs_exposure import __version__
from ecs_exposure.reporters import ocsf
from support.report_inputs import demo_context, demo_result, hostile_result


@cache
def raw_schema() -> dict[str, Any]:
    schema: dict[str, Any] = get_ocsf_schema(version=ocsf.OCSF_VERSION)
    return schema


CLASSES = {2004: "detection_finding", 2003: "compliance_finding"}


@cache
def validator(class_uid: int = 2004) -> jsonschema.Draft202012Validator:
    schema = OcsfJsonSchemaEmbedded(raw_schema()).get_class_schema(
        class_name=CLASSES[class_uid], profiles=["cloud"])
    return jsonschema.Draft202012Validator(schema)


def _errors(finding: dict[str, Any]) -> list[str]:
    return [f"{e.json_path}: {e.message}"
            for e in validator(finding.get("class_uid", 2004)).iter_errors(finding)]


@pytest.fixture(scope="module")
def everything() -> list[dict[str, Any]]:
    return json.loads(ocsf.render(demo_result(), demo_context()))  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def demo(everything: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The exposure findings (Detection Findings)."""
    return [f for f in everything if f["class_uid"] == 2004]


@pytest.fixture(scope="module")
def posture(everything: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The posture's weaknesses (Compliance Findings)."""
    return [f for f in everything if f["class_uid"] == 2003]


def test_every_demo_finding_is_a_valid_detection_finding(demo: list[dict[str, Any]]) -> None:
    result = demo_result()
    assert len(demo) == len(result.findings) + len(result.task_definition_findings) == 11
    for finding in demo:
        assert _errors(finding) == [], finding["finding_info"]["title"]


def test_the_validator_rejects_what_ocsf_forbids(demo: list[dict[str, Any]]) -> None:
    broken = copy.deepcopy(demo[0])
    broken["severity_id"] = 42
    broken["finding_info"]["made_up"] = True
    del broken["metadata"]["version"]
    messages = " ".join(_errors(broken))
    assert "severity_id" in messages and "made_up" in messages and "version" in messages


def test_enum_captions_match_their_ids(demo: list[dict[str, Any]]) -> None:
    """Each *_id's caption in the OCSF dictionary is the label written beside it."""
    attributes = raw_schema()["classes"]["detection_finding"]["attributes"]
    for finding in demo:
        for field in ("severity", "status", "activity", "impact"):
            enum = attributes[f"{field}_id"]["enum"]
            caption = enum[str(finding[f"{field}_id"])]["caption"]
            name = finding[field if field != "activity" else "activity_name"]
            assert caption == name, (field, name)
        assert finding["type_uid"] == finding["class_uid"] * 100 + finding["activity_id"]


def test_shaped_like_a_security_hub_exposure_finding(demo: list[dict[str, Any]]) -> None:
    storefront = next(f for f in demo if f["resources"][0]["name"] == "storefront-web")
    assert (storefront["class_uid"], storefront["type_uid"]) == (2004, 200401)
    assert storefront["severity"] == "Critical" and storefront["severity_id"] == 5
    info = storefront["finding_info"]
    assert info["analytic"]["name"] == "Exposure"
    assert "Exposure/Potential Impact/Privilege Escalation" in info["types"]
    assert "Exposure/Potential Impact/Host Compromise" in info["types"]
    assert info["title"].startswith("Internet-reachable ECS service storefront-web")
    traits = next(f for f in demo_result().findings if f.name == "storefront-web").traits
    assert info["related_events_count"] == len(info["related_events"]) == len(traits)
    privileged = next(e for e in info["related_events"]
                      if e["traits"][0]["uid"] == "privileged-container")
    assert privileged["traits"][0]["category"] == "Misconfiguration"
    assert privileged["observables"] == [{
        "name": "resource", "type": "Resource UID", "type_id": 10,
        "value": "arn:aws:ecs:us-east-1:111122223333:task-definition/storefront-web:7"}]
    assert any("storefront-web-7.json:40:23" in v for v in privileged["traits"][0]["values"])
    categories = {e["traits"][0]["category"] for e in info["related_events"]}
    assert categories == {"Impact", "Misconfiguration", "Reachability", "Image", "Vulnerability"}
    resource = storefront["resources"][0]
    assert resource["type"] == "AwsEcsService"
    assert resource["uid"] == "arn:aws:ecs:us-east-1:111122223333:service/prod/storefront-web"
    assert resource["group"] == {"name": "prod"} and resource["cloud_partition"] == "aws"
    assert storefront["cloud"]["account"]["uid"] == "111122223333"
    assert storefront["metadata"]["version"] == ocsf.OCSF_VERSION
    assert storefront["metadata"]["product"]["name"] == "ecs-exposure"
    assert storefront["metadata"]["product"]["version"] == __version__
    assert storefront["remediation"]["desc"].startswith("Register a new revision")
    assert storefront["remediation"]["references"]
    assert all(ref.startswith("https://") for ref in storefront["remediation"]["references"])
    nodes = [n["name"] for n in info["attack_graph"]["nodes"]]
    assert nodes[0] == "internet" and nodes[-1] == "AWS account 111122223333"
    assert len(info["attack_graph"]["edges"]) == len(nodes) - 1


def test_task_definition_without_arn_still_valid(demo: list[dict[str, Any]]) -> None:
    toolbox = next(f for f in demo if f["resources"][0]["name"] == "debug-toolbox")
    assert toolbox["resources"][0]["type"] == "AwsEcsTaskDefinition"
    assert toolbox["cloud"] == {"provider": "AWS"}          # account and region unknown
    assert toolbox["unmapped"]["reachability"] == "unknown"
    assert _errors(toolbox) == []


def test_hostile_names_stay_data(tmp_path: Path) -> None:
    findings = ocsf.findings(hostile_result(tmp_path))
    for finding in findings:
        assert _errors(finding) == []
    names = {f["resources"][0]["name"] for f in findings}
    assert "<img src=x onerror=alert(1)>" in names


# --- the posture, as Compliance Findings ----------------------------------------------------

def test_every_posture_weakness_is_a_valid_compliance_finding(
        everything: list[dict[str, Any]], posture: list[dict[str, Any]]) -> None:
    result = demo_result()
    assert len(posture) == sum(len(e.traits) for e in result.posture) > 0
    assert len(everything) == len(posture) + len(result.findings) + len(
        result.task_definition_findings)
    assert everything[-len(posture):] == posture          # exposures first, then the posture
    for finding in posture:
        assert _errors(finding) == [], finding["finding_info"]["uid"]
        assert finding["type_uid"] == 200301 and finding["metadata"]["labels"] == ["posture"]
        assert finding["finding_info"]["analytic"]["name"] == "Posture"
        assert finding["compliance"]["status"] == "Fail" and finding["unmapped"]["posture"]


def test_posture_captions_match_their_ids(posture: list[dict[str, Any]]) -> None:
    attributes = raw_schema()["classes"]["compliance_finding"]["attributes"]
    for finding in posture:
        for field in ("severity", "status", "activity"):
            enum = attributes[f"{field}_id"]["enum"]
            name = finding[field if field != "activity" else "activity_name"]
            assert enum[str(finding[f"{field}_id"])]["caption"] == name, (field, name)


def test_exposure_findings_carry_no_posture_label(demo: list[dict[str, Any]]) -> None:
    assert all("labels" not in f["metadata"] for f in demo)
    assert all(f["finding_info"]["analytic"]["name"] == "Exposure" for f in demo)


def test_a_posture_weakness_names_its_controls_evidence_and_exposure(
        demo: list[dict[str, Any]], posture: list[dict[str, Any]]) -> None:
    root = next(f for f in posture if f["compliance"]["control"] == "root-user"
                and f["resources"][0]["name"] == "storefront-web:7")
    assert root["severity"] == "Low" and root["unmapped"]["contextual"] is True
    assert {"ECS.20", "SEC06-BP02", "4.1.2"} <= set(root["compliance"]["requirements"])
    assert "AWS Security Hub CSPM" in root["compliance"]["standards"]
    assert root["unmapped"]["location"]["file"].endswith("storefront-web-7.json")
    assert root["remediation"]["desc"] and root["remediation"]["references"]
    storefront = next(f for f in demo if f["resources"][0]["name"] == "storefront-web")
    assert root["unmapped"]["exposure_findings"] == [storefront["finding_info"]["uid"]]
    unattached = [f for f in posture if f["resources"][0]["name"] == "debug-toolbox"]
    toolbox = next(f for f in demo if f["resources"][0]["name"] == "debug-toolbox")
    assert unattached and all(f["unmapped"]["exposure_findings"] == [
        toolbox["finding_info"]["uid"]] for f in unattached)


def test_a_weakness_on_another_resource_names_both(posture: list[dict[str, Any]]) -> None:
    group = next(f for f in posture if f["compliance"]["control"] == "open-security-group")
    assert [r.get("type") for r in group["resources"]] == ["AwsEcsService", None]
    assert group["resources"][1]["uid"].startswith("arn:aws:ec2:")
    assert {o["value"] for o in group["observables"]} == {r["uid"] for r in group["resources"]}


def test_posture_only_and_findings_only_views() -> None:
    from ecs_exposure.reporters.selection import select

    only_posture = ocsf.findings(select(demo_result(), "posture"), demo_context())
    assert only_posture and {f["class_uid"] for f in only_posture} == {2003}
    only_findings = ocsf.findings(select(demo_result(), "findings"), demo_context())
    assert {f["class_uid"] for f in only_findings} == {2004}
