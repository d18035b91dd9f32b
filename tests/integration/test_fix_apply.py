"""`fix --aws --apply` against the suite's moto server over HTTP: the only code that writes to
AWS. Each test seeds its own service in a region the shared estate does not use, so the
live-collection tests still see their estate unchanged."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ecs_exposure.cli import main
from support.aws_fixtures import ACCOUNT, OPEN_HTTP, Fault, Faults, MotoServer, Seeder
from support.aws_server import complete_rollouts, reset_region

SECRET = "moto-Secret-Pass-1"
PREFIX = f"arn:aws:secretsmanager:{{region}}:{ACCOUNT}:secret:"


def _seed(server: MotoServer, region: str, network_mode: str = "awsvpc") -> Seeder:
    """A public, privileged service with a password in its environment."""
    seeder = Seeder(server, ACCOUNT, region)
    group = seeder.group("web", OPEN_HTTP)
    seeder.ecs.create_cluster(clusterName="prod")
    container = {"name": "web", "image": "nginx:1.27", "essential": True, "privileged": True,
                 "user": "1000", "readonlyRootFilesystem": True,
                 "logConfiguration": {"logDriver": "awslogs", "options": {}},
                 "portMappings": [{"containerPort": 8080}],
                 "environment": [{"name": "DB_PASSWORD", "value": SECRET}]}
    td = seeder.task_definition("web", [container], networkMode=network_mode)
    kwargs: dict[str, Any] = {}
    if network_mode == "awsvpc":
        kwargs["networkConfiguration"] = seeder.awsvpc(seeder.public, group, public=True)
    seeder.ecs.create_service(cluster="prod", serviceName="web", taskDefinition=td,
                              desiredCount=1, launchType="FARGATE", **kwargs)
    return seeder


@pytest.fixture(autouse=True)
def _forget_seeded_regions() -> Iterator[None]:
    yield
    for region in REGIONS_USED:
        reset_region(ACCOUNT, region)


REGIONS_USED = ("ap-southeast-2", "eu-west-3", "sa-east-1", "ca-central-1")


def _cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def _traits(region: str) -> set[str]:
    scanned = _cli("scan", "--aws", "--region", region, "--format", "json")
    assert scanned.exit_code == 0, scanned.output
    return {t["id"] for f in json.loads(scanned.stdout)["findings"] for t in f["traits"]}


@pytest.mark.usefixtures("aws_env")
def test_apply_then_scan_aws_shows_the_fixed_traits_gone(moto_server: MotoServer,
                                                         tmp_path: Path) -> None:
    region = "ap-southeast-2"
    seeder = _seed(moto_server, region)
    before = _traits(region)
    assert {"privileged-container", "plaintext-credentials", "open-security-group",
            "public-ip", "internet-reachable"} <= before
    out = tmp_path / "fixes"
    result = _cli("fix", "--aws", "--region", region, "--out", str(out), "--apply", "--yes",
                  "--secret-arn-prefix", PREFIX.format(region=region),
                  "--allow-cidr", "10.0.0.0/8")
    assert result.exit_code == 0, result.output
    assert "--apply will make these AWS calls" in result.output
    assert SECRET not in result.output
    applied = json.loads((out / "applied.json").read_text())
    assert applied["failed"] is False
    assert [s["action"] for s in applied["steps"]] == [
        "register-task-definition", "authorize-security-group-ingress",
        "revoke-security-group-ingress", "update-service"]
    written = "".join(p.read_text() for p in out.rglob("*") if p.is_file())
    assert SECRET not in written

    service = seeder.ecs.describe_services(cluster="prod", services=["web"])["services"][0]
    assert service["taskDefinition"].endswith("task-definition/web:2")
    new = seeder.ecs.describe_task_definition(taskDefinition="web:2")["taskDefinition"]
    assert new["containerDefinitions"][0].get("privileged") in (None, False)
    assert new["containerDefinitions"][0]["secrets"][0]["name"] == "DB_PASSWORD"

    complete_rollouts(ACCOUNT, region)               # the old tasks drain
    after = _traits(region)
    assert not after & {"privileged-container", "plaintext-credentials",
                        "open-security-group", "public-ip", "internet-reachable"}
    assert after <= before                                         # nothing new appeared


@pytest.mark.usefixtures("aws_env")
def test_apply_stops_at_first_error_and_records_it(moto_server: MotoServer, aws_faults: Faults,
                                                   tmp_path: Path) -> None:
    region = "eu-west-3"
    seeder = _seed(moto_server, region)
    aws_faults.add(Fault("AccessDeniedException", service="ec2", region=region,
                         operation="AuthorizeSecurityGroupIngress"))
    out = tmp_path / "fixes"
    result = _cli("fix", "--aws", "--region", region, "--out", str(out), "--apply", "--yes",
                  "--secret-arn-prefix", PREFIX.format(region=region),
                  "--allow-cidr", "10.0.0.0/8")
    assert result.exit_code == 1, result.output
    applied = json.loads((out / "applied.json").read_text())
    assert applied["failed"] is True
    assert [(s["action"], s["status"]) for s in applied["steps"]] == [
        ("register-task-definition", "done"), ("error", "failed")]
    assert "AccessDenied" in applied["steps"][-1]["detail"]
    service = seeder.ecs.describe_services(cluster="prod", services=["web"])["services"][0]
    assert service["taskDefinition"].endswith(":1")        # not updated after the failure


@pytest.mark.usefixtures("aws_env")
def test_plans_with_placeholders_are_not_applied(moto_server: MotoServer,
                                                 tmp_path: Path) -> None:
    region = "sa-east-1"
    seeder = _seed(moto_server, region, network_mode="host")   # the fix needs unknown subnets
    out = tmp_path / "fixes"
    result = _cli("fix", "--aws", "--region", region, "--out", str(out), "--apply", "--yes",
                  "--secret-arn-prefix", PREFIX.format(region=region))
    assert result.exit_code == 1, result.output              # not everything was applied
    applied = json.loads((out / "applied.json").read_text())
    assert [(s["action"], s["status"]) for s in applied["steps"]] == [("all", "skipped")]
    assert "REPLACE-ME" in applied["steps"][0]["detail"]
    assert seeder.ecs.list_task_definitions()["taskDefinitionArns"][-1].endswith(":1")


@pytest.mark.usefixtures("aws_env")
def test_without_apply_nothing_is_written_to_aws(moto_server: MotoServer,
                                                 tmp_path: Path) -> None:
    region = "ca-central-1"
    seeder = _seed(moto_server, region)
    result = _cli("fix", "--aws", "--region", region, "--out", str(tmp_path / "o"))
    assert result.exit_code == 0, result.output
    assert seeder.ecs.list_task_definitions()["taskDefinitionArns"][-1].endswith(":1")
    assert (tmp_path / "o" / "prod" / "web" / "task-definition.json").exists()


@pytest.mark.usefixtures("aws_env")
def test_apply_needs_aws_and_yes(moto_server: MotoServer, tmp_path: Path) -> None:
    from_files = _cli("fix", "--demo", "--out", str(tmp_path), "--apply", "--yes")
    assert from_files.exit_code == 2 and "--apply needs --aws" in from_files.output
    region = "ca-central-1"
    seeder = _seed(moto_server, region)
    unconfirmed = _cli("fix", "--aws", "--region", region, "--out", str(tmp_path), "--apply")
    assert unconfirmed.exit_code == 2 and "--yes" in unconfirmed.output
    assert not (tmp_path / "applied.json").exists()
    assert seeder.ecs.list_task_definitions()["taskDefinitionArns"][-1].endswith(":1")


@pytest.mark.usefixtures("aws_env")
def test_every_demo_revision_registers_on_moto(moto_server: MotoServer, tmp_path: Path) -> None:
    """The issue's closing check: `fix` on the demo writes revisions the ECS API accepts."""
    out = tmp_path / "fixes"
    assert _cli("fix", "--demo", "--out", str(out)).exit_code == 0
    region = "sa-east-1"
    ecs = moto_server.client("ecs", region)
    revisions = sorted(out.rglob("task-definition.json"))
    assert len(revisions) >= 10
    for path in revisions:
        registered = ecs.register_task_definition(**json.loads(path.read_text()))
        assert registered["taskDefinition"]["status"] == "ACTIVE", path
