"""Failures during live collection: retried when transient, isolated and reported otherwise,
and never mistaken for a clean result (fail closed)."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest
from click.testing import CliRunner

from ecs_exposure.cli import main
from ecs_exposure.inventory import Inventory
from ecs_exposure.model import Json
from ecs_exposure.sources.aws.collector import collect
from ecs_exposure.sources.aws.options import CollectionError, CollectOptions
from ecs_exposure.sources.aws.snapshot import load_snapshot
from ecs_exposure.sources.readers import read_context
from support.aws_fixtures import ACCOUNT, SCANNER_ROLE, Estate, Fault, Faults
from support.builders import scan_json


def scan(snapshot: Json) -> dict[str, Any]:
    inventory = Inventory()
    load_snapshot(inventory, snapshot, None, read_context())
    return scan_json(inventory)


def by_name(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["resource"]["name"]: f for f in result["findings"]}


def requests(estate: Estate, operation: str) -> list[Any]:
    return [r for r in estate.server.requests if r.operation == operation]


def test_throttling_is_retried_and_leaves_no_trace(
        aws_estate: Estate, aws_env: dict[str, str], aws_faults: Faults) -> None:
    # Late calls of each client are throttled: adaptive retry then slows that client down,
    # which is right against AWS and only costs the test a moment.
    aws_faults.add(Fault("ThrottlingException", service="ecs", operation="DescribeTasks",
                         times=2))
    aws_faults.add(Fault("RequestLimitExceeded", status=503, service="ec2",
                         operation="DescribeNetworkInterfaces", times=1))
    aws_estate.server.reset_log()
    snapshot = collect(CollectOptions(regions=("us-east-1",)))
    assert snapshot["errors"] == [] and snapshot["incomplete"] == []
    assert [r.status for r in requests(aws_estate, "DescribeTasks")] == [400, 400, None]
    assert [r.status for r in requests(aws_estate, "DescribeNetworkInterfaces")] == [503, None]
    assert snapshot["accounts"][ACCOUNT]["regions"]["us-east-1"]["ec2"][
        "describe-network-interfaces"]["NetworkInterfaces"]
    assert {"storefront", "public-api", "node-agent", "reports"} <= set(by_name(scan(snapshot)))
    # Retries are not calls: the count is the same as without throttling.
    assert snapshot["api_calls"]["by_action"]["ecs:DescribeTasks"] == 1


def test_access_denied_on_iam_is_isolated_and_marks_only_its_services_incomplete(
        aws_estate: Estate, aws_env: dict[str, str], aws_faults: Faults) -> None:
    member = aws_estate.member
    aws_faults.add(Fault("AccessDenied", status=403, service="iam", operation="GetRole",
                         account=member, message="User is not authorized to iam:GetRole"))
    snapshot = collect(CollectOptions(regions=("us-east-1",), role_name=SCANNER_ROLE,
                                      accounts=aws_estate.accounts))
    errors = snapshot["errors"]
    assert errors and all(e["account"] == member and e["operation"] == "iam:GetRole"
                          and e["region"] is None for e in errors)
    assert "AccessDenied" in errors[0]["message"]
    result = scan(snapshot)
    findings = by_name(result)
    payments = findings["payments-web"]
    assert payments["incomplete"] and "IAM role" in payments["incomplete"][0]
    assert "payments-exec" in payments["incomplete"][0]
    assert "service-admin-policy" not in {t["id"] for t in payments["traits"]}
    for name in ("storefront", "public-api"):          # the caller's account is unaffected
        assert findings[name]["incomplete"] == []
        assert {"administrative-policy", "service-admin-policy"} & {
            t["id"] for t in findings[name]["traits"]}
    # The role itself is listed too, and its permissions are unknown: assumed the worst.
    role = f"arn:aws:iam::{member}:role/payments-exec"
    assert [i["resource"] for i in result["incomplete"]] == [payments["resource"]["arn"], role]
    assert payments["impact"] == "high"
    assert any(m.startswith("IAM role payments-exec: the IAM role could not be read")
               for m in payments["missing"]), payments["missing"]
    assert result["errors"][0]["operation"] == "iam:GetRole"


def test_an_unreadable_efs_file_system_stays_unknown_and_its_service_incomplete(
        aws_estate: Estate, aws_env: dict[str, str], aws_faults: Faults) -> None:
    aws_faults.add(Fault("AccessDeniedException", status=403, service="elasticfilesystem",
                         operation="DescribeFileSystems"))
    snapshot = collect(CollectOptions(regions=("us-east-1",)))
    assert [e["operation"] for e in snapshot["errors"]] == ["elasticfilesystem:DescribeFileSystems"]
    findings = by_name(scan(snapshot))
    reports = findings["reports"]
    assert reports["incomplete"] and "EFS file system fs-" in reports["incomplete"][0]
    [at_rest] = [t for t in reports["traits"] if t["id"] == "efs-encryption-at-rest-disabled"]
    assert "encryption at rest unknown" in at_rest["evidence"]["detail"]
    assert findings["storefront"]["incomplete"] == []          # no EFS volume: unaffected


def test_a_failing_region_is_reported_and_the_others_are_collected(
        aws_estate: Estate, aws_env: dict[str, str], aws_faults: Faults,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    member = aws_estate.member
    aws_faults.add(Fault("ServiceUnavailable", status=503, region="eu-west-1", account=member,
                         message="region unavailable"))
    aws_estate.server.reset_log()
    snapshot = collect(CollectOptions(regions=aws_estate.regions, role_name=SCANNER_ROLE,
                                      accounts=aws_estate.accounts))
    assert [(e["account"], e["region"], e["operation"]) for e in snapshot["errors"]] == [
        (member, "eu-west-1", "ecs:ListClusters")]
    attempts = [r for r in requests(aws_estate, "ListClusters") if r.region == "eu-west-1"
                and r.account == member]
    assert len(attempts) == 2                          # AWS_MAX_ATTEMPTS is honoured
    result = scan(snapshot)
    assert [i["resource"] for i in result["incomplete"]] == [
        f"arn:aws:ecs:eu-west-1:{member}:cluster/*"]
    names = set(by_name(result))
    assert "debug-shell" not in names                  # it could not be read…
    assert {"payments-web", "worker", "storefront"} <= names   # …everything else could


def test_an_unreadable_service_is_never_reported_as_clean(
        aws_estate: Estate, aws_env: dict[str, str], aws_faults: Faults) -> None:
    """clean-api has no finding when fully read; with its task definition unreadable it is
    listed as incomplete, and assessed with its task definition unknown (impact assumed
    high) instead of silently passing."""
    aws_faults.add(Fault("AccessDeniedException", service="ecs",
                         operation="DescribeTaskDefinition", region="eu-west-1"))
    snapshot = collect(CollectOptions(regions=("eu-west-1",)))
    result = scan(snapshot)
    incomplete = {i["resource"]: i["reasons"] for i in result["incomplete"]}
    clean = f"arn:aws:ecs:eu-west-1:{ACCOUNT}:service/edge/clean-api"
    assert clean in incomplete
    finding = by_name(result)["clean-api"]
    assert finding["incomplete"] == incomplete[clean] and finding["impact"] == "high"
    assert "task definition" in incomplete[clean][0]
    assert "ecs:DescribeTaskDefinition: AccessDeniedException" in incomplete[clean][0]


def test_services_that_cannot_be_described_are_listed_as_incomplete(
        aws_estate: Estate, aws_env: dict[str, str], aws_faults: Faults) -> None:
    aws_faults.add(Fault("AccessDeniedException", service="ecs", operation="DescribeServices",
                         region="us-east-1"))
    snapshot = collect(CollectOptions(regions=("us-east-1",)))
    incomplete = {i["resource"]: i["reasons"] for i in scan(snapshot)["incomplete"]}
    for name in ("prod/storefront", "prod/public-api", "prod/node-agent", "batch/reports"):
        arn = f"arn:aws:ecs:us-east-1:{ACCOUNT}:service/{name}"
        assert incomplete[arn] == ["the service's description could not be read "
                                   "(ecs:DescribeServices: AccessDeniedException)"]


def test_assume_role_denied_loses_only_that_account(
        aws_estate: Estate, aws_env: dict[str, str], aws_faults: Faults) -> None:
    aws_faults.add(Fault("AccessDenied", status=403, service="sts", operation="AssumeRole"))
    snapshot = collect(CollectOptions(regions=("us-east-1",), role_name=SCANNER_ROLE,
                                      accounts=aws_estate.accounts))
    assert [(e["account"], e["operation"]) for e in snapshot["errors"]] == [
        (aws_estate.member, "sts:AssumeRole")]
    assert list(snapshot["accounts"]) == [ACCOUNT]
    result = scan(snapshot)
    assert [i["resource"] for i in result["incomplete"]] == [
        f"arn:aws:iam::{aws_estate.member}:root"]
    assert "storefront" in by_name(result)


def test_strict_turns_incomplete_data_into_exit_4(
        aws_estate: Estate, aws_env: dict[str, str], aws_faults: Faults) -> None:
    aws_faults.add(Fault("AccessDenied", status=403, service="iam", operation="GetRole"))
    args = ["scan", "--aws", "--region", "eu-west-1", "--format", "json"]
    lenient = CliRunner().invoke(main, args)
    strict = CliRunner().invoke(main, [*args, "--strict"])
    failing = CliRunner().invoke(main, [*args, "--strict", "--fail-on", "low"])
    assert (lenient.exit_code, strict.exit_code, failing.exit_code) == (0, 4, 1)
    result = json.loads(lenient.stdout)
    assert result["summary"]["incomplete"] == 2              # the service and its role
    assert {i["resource"].rsplit(":", 1)[-1] for i in result["incomplete"]} == {
        "service/edge/worker", "role/worker-task"}
    assert by_name(result)["worker"]["incomplete"]
    table = CliRunner().invoke(main, ["scan", "--aws", "--region", "eu-west-1", "--format",
                                      "table", "--details"])
    assert "(incomplete)" in table.stdout and "Incomplete" in table.stdout
    assert "iam:GetRole" in table.stdout


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_endpoint_fails_clearly(monkeypatch: pytest.MonkeyPatch,
                                            aws_env: dict[str, str]) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{_closed_port()}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    with pytest.raises(CollectionError, match="cannot use the AWS credentials"):
        collect(CollectOptions())
    result = CliRunner().invoke(main, ["collect", "--aws", "--output", "never.json"])
    assert result.exit_code == 2
    assert "Could not connect" in result.stderr
