"""ASFF findings and sending them to Security Hub (BatchImportFindings through botocore's Stubber:
real request validation against the Security Hub API model, no network)."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.stub import ANY, Stubber
from botocore.validate import ParamValidator
from click.testing import CliRunner

from ecs_exposure.cli import main
from ecs_exposure.detectors.vulnerabilities import EXPLOITABLE, SOFTWARE
from ecs_exposure.reporters import asff, json_report, security_hub
from support.report_inputs import demo_context, demo_result, hostile_result

ACCOUNT, REGION = "111122223333", "us-east-1"
NAMESPACES = ("Software and Configuration Checks", "TTPs", "Effects", "Unusual Behaviors",
              "Sensitive Data Identifications")


def _input_shape() -> Any:
    model = botocore.session.get_session().get_service_model("securityhub")
    return model.operation_model("BatchImportFindings").input_shape


def _client(region: str = REGION) -> Any:
    return boto3.client("securityhub", region_name=region, aws_access_key_id="testing",
                        aws_secret_access_key="testing")


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    bodies = json.loads(asff.render(demo_result(), demo_context()))
    assert isinstance(bodies, list) and len(bodies) == 1
    return bodies[0]["Findings"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def demo(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The exposure findings (the posture records are tested below)."""
    return [f for f in records if f["ProductFields"]["ecs-exposure/Kind"] == "exposure"]


def _valid(body: dict[str, Any]) -> None:
    report = ParamValidator().validate(body, _input_shape())
    assert not report.has_errors(), report.generate_report()
    assert 1 <= len(body["Findings"]) <= 100          # the model's max is not checked locally


def test_request_body_is_valid_for_the_api_model(records: list[dict[str, Any]]) -> None:
    _valid({"Findings": records})
    required = _input_shape().members["Findings"].member.required_members
    for finding in records:
        assert set(required) <= set(finding)


def test_documented_field_rules(demo: list[dict[str, Any]]) -> None:
    assert len(demo) == 10            # debug-toolbox has no ARN: no account to import it into
    for finding in demo:
        assert finding["SchemaVersion"] == "2018-10-08"
        assert finding["ProductArn"] == (f"arn:aws:securityhub:{REGION}:{ACCOUNT}:"
                                         f"product/{ACCOUNT}/default")
        assert finding["AwsAccountId"] == ACCOUNT and finding["Region"] == REGION
        assert re.fullmatch(r"\d{12}", finding["AwsAccountId"])
        assert finding["Severity"]["Label"] in {"CRITICAL", "HIGH", "MEDIUM", "LOW"}
        assert finding["FindingProviderFields"]["Severity"] == finding["Severity"]
        assert len(finding["Title"]) <= 256 and len(finding["Description"]) <= 1024
        assert len(finding["Id"]) <= 512
        assert 1 <= len(finding["Types"]) <= 50
        for kind in finding["Types"]:
            assert kind.split("/")[0] in NAMESPACES and len(kind.split("/")) <= 3
        assert len(finding["Remediation"]["Recommendation"]["Text"]) <= 512
        assert finding["Remediation"]["Recommendation"]["Url"].startswith("https://")
        assert 1 <= len(finding["Resources"]) <= 32
        for key, value in finding["ProductFields"].items():
            assert len(key) <= 128 and len(value) <= 2048
    assert len({f["Id"] for f in demo}) == len(demo)


def test_service_resource_details(demo: list[dict[str, Any]]) -> None:
    storefront = next(f for f in demo if "storefront-web" in f["Title"])
    service = storefront["Resources"][0]
    assert service["Type"] == "AwsEcsService"
    assert service["Id"] == f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/prod/storefront-web"
    assert service["Details"]["AwsEcsService"] == {
        "Name": "storefront-web", "ServiceName": "storefront-web", "ServiceArn": service["Id"],
        "Cluster": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/prod",
        "TaskDefinition": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/storefront-web:7"}
    others = {r["Type"] for r in storefront["Resources"][1:]}
    assert {"AwsEcsTaskDefinition", "AwsIamRole", "AwsEc2SecurityGroup"} <= others
    assert storefront["Severity"]["Label"] == "CRITICAL"        # reachable + KEV CVE
    assert "privileged-container" in storefront["ProductFields"]["ecs-exposure/Traits"]
    assert storefront["Remediation"]["Recommendation"]["Text"].startswith("Register a new")
    batch = next(f for f in demo if "batch-worker" in f["Title"])
    assert "Sensitive Data Identifications/Passwords" in batch["Types"]


def test_account_and_region_overrides_place_every_finding() -> None:
    result = demo_result()
    assert asff.unplaceable(result) == ["debug-toolbox"]
    placed = [f for f in asff.findings(result, account="444455556666", region="eu-west-1")
              if f["ProductFields"]["ecs-exposure/Kind"] == "exposure"]
    assert len(placed) == 11 and asff.unplaceable(result, account="444455556666",
                                                  region="eu-west-1") == []
    assert {f["ProductArn"] for f in placed} == {
        "arn:aws:securityhub:eu-west-1:444455556666:product/444455556666/default"}
    _valid({"Findings": placed[:100]})


def test_long_values_are_cut_to_the_limits(tmp_path: Path) -> None:
    result = hostile_result(tmp_path)
    long_name = "n" * 3000
    finding = dataclasses.replace(result.findings[0], title="T" * 3000, why="W" * 5000,
                                  name=long_name, remediation_summary="R" * 3000)
    placed = asff.findings(dataclasses.replace(result, findings=(finding,)))
    assert len(placed[0]["Title"]) == 256 and placed[0]["Title"].endswith("…")
    assert len(placed[0]["Description"]) == 1024
    assert len(placed[0]["Remediation"]["Recommendation"]["Text"]) == 512


def _fake_findings(count: int, region: str = REGION) -> list[dict[str, Any]]:
    base = asff.findings(demo_result())[0]
    out = []
    for index in range(count):
        finding = dict(base, Id=f"ecs-exposure/test-{index}",
                       ProductArn=asff.product_arn(ACCOUNT, region), Region=region)
        out.append(finding)
    return out


def test_send_batches_of_100_and_reports_partial_failures() -> None:
    findings = _fake_findings(250)
    client = _client()
    with Stubber(client) as stub:
        stub.add_response("batch_import_findings",
                          {"FailedCount": 0, "SuccessCount": 100, "FailedFindings": []},
                          {"Findings": findings[:100]})
        stub.add_response("batch_import_findings", {
            "FailedCount": 2, "SuccessCount": 98, "FailedFindings": [
                {"Id": "ecs-exposure/test-120", "ErrorCode": "InvalidInput",
                 "ErrorMessage": "Finding does not adhere to the ASFF"},
                {"Id": "ecs-exposure/test-150", "ErrorCode": "AccessDeniedException",
                 "ErrorMessage": "not allowed to import for this account"}]},
            {"Findings": findings[100:200]})
        stub.add_response("batch_import_findings",
                          {"FailedCount": 0, "SuccessCount": 50, "FailedFindings": []},
                          {"Findings": findings[200:]})
        report = security_hub.send(findings, client_for=lambda region: client)
        stub.assert_no_pending_responses()
    assert report.requests == 3 and report.imported == 248 and not report.ok
    assert [(f.id, f.code) for f in report.failures] == [
        ("ecs-exposure/test-120", "InvalidInput"),
        ("ecs-exposure/test-150", "AccessDeniedException")]


def test_a_failed_request_fails_its_batch_and_the_rest_still_goes() -> None:
    eu, us = _fake_findings(3, "eu-west-1"), _fake_findings(2)
    clients = {"eu-west-1": _client("eu-west-1"), REGION: _client()}
    with Stubber(clients["eu-west-1"]) as eu_stub, Stubber(clients[REGION]) as us_stub:
        eu_stub.add_client_error("batch_import_findings", service_error_code="ThrottlingException",
                                 service_message="Rate exceeded", http_status_code=429)
        us_stub.add_response("batch_import_findings",
                             {"FailedCount": 0, "SuccessCount": 2, "FailedFindings": []},
                             {"Findings": us})
        report = security_hub.send(eu + us, client_for=clients.__getitem__)
    assert report.imported == 2
    assert {f.id for f in report.failures} == {f["Id"] for f in eu}
    assert {f.code for f in report.failures} == {"ThrottlingException"}


def test_plan_names_every_finding_and_request() -> None:
    lines = security_hub.plan(_fake_findings(101))
    assert lines[0].startswith(f"Security Hub {REGION}: 101 findings in 2 BatchImportFindings "
                               "requests to arn:aws:securityhub:")
    assert len(lines) == 102 and "ecs-exposure/test-100" in lines[-1]


@pytest.fixture
def stubbed_client(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Stubber]]:
    client = _client()
    calls: list[str] = []

    def factory(region: str) -> Any:
        calls.append(region)
        return client

    monkeypatch.setattr(security_hub, "default_client", factory)
    with Stubber(client) as stub:
        yield client, stub
    assert set(calls) <= {REGION}


def test_cli_shows_the_plan_then_sends(stubbed_client: tuple[Any, Stubber]) -> None:
    _, stub = stubbed_client
    expected = asff.findings(demo_result())
    count = len(expected)                   # 10 exposures and the posture of every resource
    assert count > 10
    stub.add_response("batch_import_findings",
                      {"FailedCount": 0, "SuccessCount": count, "FailedFindings": []},
                      {"Findings": ANY})      # generated_at differs; shapes still validated
    result = CliRunner().invoke(main, ["scan", "--demo", "--format", "json", "--security-hub"])
    assert result.exit_code == 0, result.output
    stderr = result.stderr
    plan = stderr.index(f"Security Hub us-east-1: {count} findings in 1 BatchImportFindings "
                        "request")
    done = stderr.index(f"Security Hub: {count} imported, 0 failed")
    assert plan < done
    assert "debug-toolbox: account or region unknown" in stderr
    for finding in expected:
        assert finding["Id"] in stderr
    assert json.loads(result.stdout)["summary"]["findings"] == 10
    stub.assert_no_pending_responses()


def test_cli_sends_what_only_and_min_severity_keep(
        stubbed_client: tuple[Any, Stubber]) -> None:
    _, stub = stubbed_client
    stub.add_response("batch_import_findings",
                      {"FailedCount": 0, "SuccessCount": 1, "FailedFindings": []},
                      {"Findings": ANY})
    result = CliRunner().invoke(main, ["scan", "--demo", "--format", "json", "--security-hub",
                                       "--only", "findings", "--min-severity", "critical"])
    assert result.exit_code == 0, result.output
    assert "Security Hub us-east-1: 1 finding in 1 BatchImportFindings request" in result.stderr
    stub.assert_no_pending_responses()


def test_cli_exit_3_when_security_hub_rejects_findings(
        stubbed_client: tuple[Any, Stubber]) -> None:
    _, stub = stubbed_client
    stub.add_response("batch_import_findings", {
        "FailedCount": 1, "SuccessCount": 9, "FailedFindings": [
            {"Id": "ecs-exposure/x", "ErrorCode": "InvalidInput", "ErrorMessage": "bad"}]})
    result = CliRunner().invoke(main, ["scan", "--demo", "--format", "json", "--security-hub",
                                       "--fail-on", "none"])
    assert result.exit_code == 3
    assert "did not import ecs-exposure/x: InvalidInput: bad" in result.stderr
    assert "9 imported, 1 failed" in result.stderr


def test_nothing_is_sent_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(region: str) -> Any:
        raise AssertionError("a Security Hub client was created without --security-hub")

    monkeypatch.setattr(security_hub, "default_client", refuse)
    result = CliRunner().invoke(main, ["scan", "--demo", "--format", "asff"])
    assert result.exit_code == 0 and "Security Hub" not in result.stderr
    [body] = json.loads(result.stdout)
    assert sum(f["ProductFields"]["ecs-exposure/Kind"] == "exposure"
               for f in body["Findings"]) == 10
    usage = CliRunner().invoke(main, ["scan", "--demo", "--security-hub-region", "eu-west-1"])
    assert usage.exit_code == 2
    bad = CliRunner().invoke(main, ["scan", "--demo", "--security-hub",
                                    "--security-hub-account", "12345"])
    assert bad.exit_code == 2 and "12-digit" in bad.output


# --- request bodies, vulnerabilities, compliance, posture ----------------------------------

def test_the_file_is_request_bodies_of_at_most_100_findings_of_one_region(
        tmp_path: Path) -> None:
    import sys

    from ecs_exposure.pipeline import scan_for_reports
    from ecs_exposure.sources.load import load_inputs
    from support import ROOT
    from support.builders import SETTINGS

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from bench.generate import generate

    generate(tmp_path / "estate", 120, 300, seed=2)
    paths = sorted((tmp_path / "estate").rglob("*.json"))
    inventory, report = load_inputs(paths)
    result, context = scan_for_reports(inventory, SETTINGS, errors=report.errors)
    records = asff.findings(result, context=context)
    assert len(records) > 200                     # findings and posture of 120 services
    bodies = json.loads(asff.render(result, context))
    assert [len(b["Findings"]) for b in bodies][:-1] == [100] * (len(bodies) - 1)
    assert sum(len(b["Findings"]) for b in bodies) == len(records)
    for body in bodies:
        _valid(body)
        assert len({f["Region"] for f in body["Findings"]}) == 1
    assert {f["Id"] for b in bodies for f in b["Findings"]} == {f["Id"] for f in records}


def test_the_file_and_the_upload_share_one_batching() -> None:
    records = _fake_findings(150) + _fake_findings(120, "eu-west-1")
    bodies = asff.request_bodies(records)
    assert [(b["Findings"][0]["Region"], len(b["Findings"])) for b in bodies] == [
        (REGION, 100), (REGION, 50), ("eu-west-1", 100), ("eu-west-1", 20)]
    clients = {REGION: _client(), "eu-west-1": _client("eu-west-1")}
    with Stubber(clients[REGION]) as us, Stubber(clients["eu-west-1"]) as eu:
        for body in bodies:
            stub = us if body["Findings"][0]["Region"] == REGION else eu
            stub.add_response("batch_import_findings", {
                "FailedCount": 0, "SuccessCount": len(body["Findings"]),
                "FailedFindings": []}, body)          # the exact body the file holds
        report = security_hub.send(records, client_for=clients.__getitem__)
        us.assert_no_pending_responses()
        eu.assert_no_pending_responses()
    assert report.requests == 4 and report.imported == 270 and report.ok


def test_vulnerabilities_carry_cvss_epss_exploit_and_fix(demo: list[dict[str, Any]]) -> None:
    storefront = next(f for f in demo if "storefront-web" in f["Title"])
    webp = next(v for v in storefront["Vulnerabilities"] if v["Id"] == "CVE-2023-4863")
    assert webp["VulnerablePackages"] == [{"Name": "libwebp7", "Version": "1.2.4-0.2",
                                           "FixedInVersion": "1.2.4-0.2+deb12u1"}]
    assert webp["Cvss"] == [{"BaseScore": 8.8, "Version": "3.1", "Source": "nvd",
                             "BaseVector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H"}]
    assert webp["EpssScore"] == pytest.approx(0.47335)
    assert (webp["ExploitAvailable"], webp["FixAvailable"]) == ("YES", "YES")
    assert webp["RelatedVulnerabilities"] == ["CVE-2023-5129"]
    without = [f for f in demo if not any(
        t.id == EXPLOITABLE.id or t.id == SOFTWARE.id for t in _traits_of(f))]
    assert all("Vulnerabilities" not in f for f in without)


def _traits_of(record: dict[str, Any]) -> list[Any]:
    result = demo_result()
    finding = next(f for f in result.findings + result.task_definition_findings
                   if record["Id"] == f"ecs-exposure/{f.id}")
    return list(finding.traits)


def test_compliance_names_the_controls_the_traits_fail(demo: list[dict[str, Any]]) -> None:
    storefront = next(f for f in demo if "storefront-web" in f["Title"])
    block = storefront["Compliance"]
    assert block["Status"] == "FAILED"
    assert "Security Hub CSPM ECS.4" in block["RelatedRequirements"]       # privileged
    assert "NIST SP 800-190 4.4.3" in block["RelatedRequirements"]
    assert f"Security Hub CSPM {block['SecurityControlId']}" in block["RelatedRequirements"]
    assert len(block["RelatedRequirements"]) <= 32
    for finding in demo:
        if "Compliance" in finding:
            assert finding["Compliance"]["Status"] == "FAILED"


def test_posture_entries_are_records_marked_posture(records: list[dict[str, Any]]) -> None:
    posture = [f for f in records if f["ProductFields"]["ecs-exposure/Kind"] == "posture"]
    doc = json.loads(json_report.render(demo_result(), demo_context()))
    placeable = [e for e in doc["posture"] if e["resource"]["account"] and e["traits"]]
    assert len(posture) == len(placeable) > 0
    for record in posture:
        assert record["GeneratorId"] == "ecs-exposure/posture"
        assert record["Id"].startswith("ecs-exposure/posture/")
        assert record["Types"] == ["Software and Configuration Checks/AWS Security Best "
                                   "Practices/ECS Posture"]
        assert record["Compliance"]["Status"] == "FAILED"
        assert "not an exposure finding" in record["Title"]
        assert record["Severity"]["Label"] in {"HIGH", "MEDIUM", "LOW"}
    cluster = next(r for r in posture if r["Resources"][0]["Type"] == "AwsEcsCluster")
    assert cluster["Compliance"]["SecurityControlId"] == "ECS.12"       # Container Insights
    assert len({f["Id"] for f in records}) == len(records)


def test_posture_does_not_count_for_fail_on(tmp_path: Path) -> None:
    from support.builders import container, task_definition

    (tmp_path / "td.json").write_text(json.dumps({"taskDefinition": task_definition(
        family="quiet", containers=[container("app", user=None)])}))
    result = CliRunner().invoke(main, ["scan", str(tmp_path / "td.json"), "--format", "asff",
                                       "--fail-on", "low", "--config", "/dev/null"])
    assert result.exit_code == 0, result.output
    [body] = json.loads(result.stdout)
    kinds = {f["ProductFields"]["ecs-exposure/Kind"] for f in body["Findings"]}
    assert kinds == {"posture"}
    _valid(body)
