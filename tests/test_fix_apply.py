"""`fix --apply` against a real moto server over HTTP: the only code path that writes to AWS."""

from __future__ import annotations

import json
import socket
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from click.testing import CliRunner
from moto.server import ThreadedMotoServer

from ecs_exposure.cli import main

REGION = "us-east-1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def moto_server() -> Iterator[str]:
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def moto_endpoint(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A clean moto account per test (the server keeps state between requests)."""
    urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset",
                                                  method="POST"), timeout=10).close()
    endpoint = moto_server
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": REGION, "AWS_ENDPOINT_URL": endpoint}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    yield endpoint


def _seed(endpoint: str, tmp_path: Path) -> Path:
    """A vulnerable service in moto, exported as the AWS CLI would (describe-* JSON)."""
    ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=endpoint)
    ecs = boto3.client("ecs", region_name=REGION, endpoint_url=endpoint)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
        "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    ecs.create_cluster(clusterName="prod")
    td = ecs.register_task_definition(
        family="web", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256",
        memory="512", containerDefinitions=[{
            "name": "web", "image": "nginx:1.27", "essential": True, "privileged": True,
            "portMappings": [{"containerPort": 80}],
            "environment": [{"name": "DB_PASSWORD", "value": "moto-Secret-Pass-1"}]}],
    )["taskDefinition"]
    ecs.create_service(cluster="prod", serviceName="web", taskDefinition=td["taskDefinitionArn"],
                       desiredCount=1, launchType="FARGATE", networkConfiguration={
                           "awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group],
                                                   "assignPublicIp": "ENABLED"}})
    return _export(ecs, ec2, tmp_path / "export")


def _export(ecs: Any, ec2: Any, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    services = ecs.describe_services(cluster="prod", services=["web"])
    (folder / "services.json").write_text(json.dumps(services, default=str))
    for index, service in enumerate(services["services"]):
        td = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])
        (folder / f"td-{index}.json").write_text(json.dumps(td, default=str))
    (folder / "sgs.json").write_text(json.dumps(ec2.describe_security_groups(), default=str))
    return folder


def test_apply_registers_updates_and_revokes_then_rescan_is_clean(
        moto_endpoint: str, tmp_path: Path) -> None:
    export = _seed(moto_endpoint, tmp_path)
    out = tmp_path / "fixes"
    result = CliRunner().invoke(main, [
        "fix", str(export), "--out", str(out), "--apply", "--yes",
        "--secret-arn-prefix", "arn:aws:secretsmanager:us-east-1:123456789012:secret:",
        "--allow-cidr", "10.0.0.0/8"])
    assert result.exit_code == 0, result.output
    assert "--apply will make these AWS calls" in result.output
    assert "moto-Secret-Pass-1" not in result.output
    applied = json.loads((out / "applied.json").read_text())
    assert applied["failed"] is False
    assert [s["action"] for s in applied["steps"]] == [
        "register-task-definition", "authorize-security-group-ingress",
        "revoke-security-group-ingress", "update-service"]

    ecs = boto3.client("ecs", region_name=REGION, endpoint_url=moto_endpoint)
    ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=moto_endpoint)
    service = ecs.describe_services(cluster="prod", services=["web"])["services"][0]
    assert service["taskDefinition"].endswith("task-definition/web:2")
    new = ecs.describe_task_definition(taskDefinition="web:2")["taskDefinition"]
    assert "privileged" not in new["containerDefinitions"][0] or \
        new["containerDefinitions"][0]["privileged"] is False
    assert new["containerDefinitions"][0]["secrets"][0]["name"] == "DB_PASSWORD"

    rescan = CliRunner().invoke(main, ["scan", str(_export(ecs, ec2, tmp_path / "after")),
                                       "--format", "json"])
    after = json.loads(rescan.output)
    traits = {t["id"] for f in after["findings"] for t in f["traits"]}
    assert not traits & {"privileged-container", "plaintext-credentials", "open-security-group",
                         "public-ip", "internet-reachable"}


def test_apply_stops_at_first_error_and_records_it(moto_endpoint: str, tmp_path: Path) -> None:
    export = _seed(moto_endpoint, tmp_path)
    for name in ("services.json", "sgs.json"):   # a group that does not exist in AWS
        text = (export / name).read_text()
        group = json.loads((export / "sgs.json").read_text())["SecurityGroups"]
        web = next(g["GroupId"] for g in group if g["GroupName"] == "web")
        (export / name).write_text(text.replace(web, "sg-0123456789abcdef0"))
    out = tmp_path / "fixes"
    result = CliRunner().invoke(main, [
        "fix", str(export), "--out", str(out), "--apply", "--yes", "--allow-cidr", "10.0.0.0/8",
        "--secret-arn-prefix", "arn:aws:secretsmanager:us-east-1:123456789012:secret:"])
    assert result.exit_code == 1, result.output
    applied = json.loads((out / "applied.json").read_text())
    assert applied["failed"] is True
    assert [(s["action"], s["status"]) for s in applied["steps"]] == [
        ("register-task-definition", "done"), ("error", "failed")]
    ecs = boto3.client("ecs", region_name=REGION, endpoint_url=moto_endpoint)
    service = ecs.describe_services(cluster="prod", services=["web"])["services"][0]
    assert service["taskDefinition"].endswith(":1")        # not updated after the failure


def test_plans_with_placeholders_are_not_applied(moto_endpoint: str, tmp_path: Path) -> None:
    export = _seed(moto_endpoint, tmp_path)
    td = json.loads((export / "td-0.json").read_text())
    td["taskDefinition"]["networkMode"] = "host"       # the fix needs subnets we cannot know
    (export / "td-0.json").write_text(json.dumps(td))
    services = json.loads((export / "services.json").read_text())
    del services["services"][0]["networkConfiguration"]
    (export / "services.json").write_text(json.dumps(services))
    out = tmp_path / "fixes"
    result = CliRunner().invoke(main, ["fix", str(export), "--out", str(out), "--apply", "--yes"])
    assert result.exit_code == 1, result.output                 # not everything was applied
    applied = json.loads((out / "applied.json").read_text())
    assert [(s["action"], s["status"]) for s in applied["steps"]] == [("all", "skipped")]
    assert "REPLACE-ME" in applied["steps"][0]["detail"]
    ecs = boto3.client("ecs", region_name=REGION, endpoint_url=moto_endpoint)
    assert ecs.list_task_definitions()["taskDefinitionArns"][-1].endswith(":1")


def test_without_apply_nothing_is_written_to_aws(moto_endpoint: str, tmp_path: Path) -> None:
    export = _seed(moto_endpoint, tmp_path)
    result = CliRunner().invoke(main, ["fix", str(export), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0
    ecs = boto3.client("ecs", region_name=REGION, endpoint_url=moto_endpoint)
    assert ecs.list_task_definitions()["taskDefinitionArns"][-1].endswith(":1")
