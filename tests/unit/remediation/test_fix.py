"""Fixers, fix plans and the files `fix` writes."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
from click.testing import CliRunner

from ecs_exposure.cli import main
from ecs_exposure.detectors.host_access import HOST_MOUNT
from ecs_exposure.inventory import Inventory
from ecs_exposure.model import ScanResult
from ecs_exposure.pipeline import scan_inventory
from ecs_exposure.remediation.fixers import PLACEHOLDER, FixOptions, fix_task_definition
from ecs_exposure.remediation.plan import ServicePlan, plan_for
from ecs_exposure.remediation.redact import credential_traits
from integration.test_cli import DEMO_SECRETS
from support.botocore_schema import input_schema
from support.builders import (
    ACCOUNT,
    SETTINGS,
    container,
    inventory_of,
    network,
    security_group,
    service,
    task_definition,
    tcp,
)

REGISTER = input_schema("ecs", "RegisterTaskDefinition")
UPDATE = input_schema("ecs", "UpdateService")
REVOKE = input_schema("ec2", "RevokeSecurityGroupIngress")
AUTHORIZE = input_schema("ec2", "AuthorizeSecurityGroupIngress")


def _plans(*docs: Any, options: FixOptions | None = None) -> tuple[Inventory, list[ServicePlan]]:
    inventory = inventory_of(*docs)
    result = scan_inventory(inventory, SETTINGS)
    return inventory, [plan_for(inventory, f, options or FixOptions())
                       for f in result.findings + result.task_definition_findings]


def _one(*docs: Any, options: FixOptions | None = None) -> ServicePlan:
    _, plans = _plans(*docs, options=options)
    assert len(plans) == 1
    return plans[0]


def _service_docs(td: dict[str, Any], svc: dict[str, Any] | None = None,
                  *more: Any) -> list[Any]:
    return [{"taskDefinition": td}, {"services": [svc or service()]}, *more]


def _container(plan: ServicePlan, index: int = 0) -> dict[str, Any]:
    assert plan.register_input is not None
    return plan.register_input["containerDefinitions"][index]  # type: ignore[no-any-return]


def test_privileged_and_capabilities_removed() -> None:
    td = task_definition(containers=[container(
        privileged=True, linuxParameters={"capabilities": {"add": ["SYS_ADMIN", "CHOWN"]}})])
    plan = _one(*_service_docs(td))
    fixed = _container(plan)
    assert "privileged" not in fixed
    assert fixed["linuxParameters"]["capabilities"]["add"] == ["CHOWN"]
    assert {c.confidence for c in plan.changes} == {"review"}
    jsonschema.validate(plan.register_input, REGISTER)


def test_read_only_fields_dropped_and_everything_else_kept() -> None:
    td = task_definition(containers=[container(privileged=True)], status="ACTIVE",
                         requiresAttributes=[{"name": "x"}], compatibilities=["EC2"],
                         registeredAt="2024-01-01", registeredBy="me", cpu="256",
                         memory="512", placementConstraints=[])
    plan = _one(*_service_docs(td))
    assert plan.register_input is not None
    for key in ("taskDefinitionArn", "revision", "status", "requiresAttributes",
                "compatibilities", "registeredAt", "registeredBy"):
        assert key not in plan.register_input
    assert plan.register_input["cpu"] == "256" and plan.register_input["memory"] == "512"
    assert plan.update_service == {"cluster": "prod", "service": "svc", "taskDefinition": "app"}
    jsonschema.validate(plan.update_service, UPDATE)


def test_host_namespaces_and_network_mode() -> None:
    td = task_definition(networkMode="host", pidMode="host", ipcMode="host", containers=[
        container(portMappings=[{"containerPort": 8080, "hostPort": 80}])])
    svc = service()
    del svc["networkConfiguration"]
    plan = _one(*_service_docs(td, svc))
    assert plan.register_input is not None
    assert plan.register_input["networkMode"] == "awsvpc"
    assert "pidMode" not in plan.register_input and "ipcMode" not in plan.register_input
    assert _container(plan)["portMappings"] == [{"containerPort": 8080, "hostPort": 8080}]
    awsvpc = plan.update_service["networkConfiguration"]["awsvpcConfiguration"]  # type: ignore[index]
    assert PLACEHOLDER in awsvpc["subnets"][0]
    assert any(c.confidence == "manual" and "placeholders" in c.description for c in plan.changes)


def _mount_td(path: str, read_only: bool = False) -> dict[str, Any]:
    return task_definition(
        volumes=[{"name": "v", "host": {"sourcePath": path}}, {"name": "other"}],
        containers=[container(mountPoints=[{"sourceVolume": "v", "containerPath": "/x",
                                            "readOnly": read_only},
                                           {"sourceVolume": "other", "containerPath": "/o"}])])


def test_host_mount_removed_or_kept_read_only() -> None:
    removed = _one(*_service_docs(_mount_td("/var/run/docker.sock")))
    assert removed.register_input is not None
    assert removed.register_input["volumes"] == [{"name": "other"}]
    assert _container(removed)["mountPoints"] == [{"sourceVolume": "other",
                                                   "containerPath": "/o"}]
    kept = _one(*_service_docs(_mount_td("/srv/data")),
                options=FixOptions(keep_mounts=frozenset({"/srv/data"})))
    assert _container(kept)["mountPoints"][0]["readOnly"] is True
    assert kept.register_input is not None
    assert kept.register_input["volumes"][0]["host"] == {"sourcePath": "/srv/data"}


def test_credentials_move_to_secrets_and_are_never_written(tmp_path: Path) -> None:
    secret = "hunter2-Hunter2-xyz"
    key = "AKIAIOSFODNN7EXAMPLE"
    td = task_definition(containers=[container(
        environment=[{"name": "DB_PASSWORD", "value": secret}, {"name": "MODE", "value": "x"}],
        command=["run", f"--key={key}"],
        logConfiguration={"logDriver": "awsfirelens",
                          "options": {"Name": "http", "http_passwd": secret}})])
    prefix = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:"
    plan = _one(*_service_docs(td), options=FixOptions(secret_arn_prefix=prefix))
    fixed = _container(plan)
    assert fixed["environment"] == [{"name": "MODE", "value": "x"}]
    assert fixed["secrets"] == [{"name": "DB_PASSWORD", "valueFrom": f"{prefix}app/DB_PASSWORD"}]
    assert fixed["logConfiguration"]["options"] == {"Name": "http"}
    assert fixed["logConfiguration"]["secretOptions"] == [
        {"name": "http_passwd", "valueFrom": f"{prefix}app/http_passwd"}]
    assert key not in json.dumps(plan.register_input)
    assert any(c.confidence == "manual" and "command" in c.description for c in plan.changes)
    assert credential_traits(plan.register_input or {}) == []
    jsonschema.validate(plan.register_input, REGISTER)
    docs_dir = tmp_path / "in"
    docs_dir.mkdir()
    for index, doc in enumerate(_service_docs(td)):
        (docs_dir / f"{index}.json").write_text(json.dumps(doc))
    result = CliRunner().invoke(main, ["fix", str(docs_dir), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    written = "".join(p.read_text() for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert secret not in written + result.output
    assert key not in written + result.output
    assert "file:///dev/stdin" in written


def test_secret_reference_defaults_to_the_task_definition_account_then_placeholder() -> None:
    env = [{"name": "API_TOKEN", "value": "tok_live_0123456789abcdef"}]
    plan = _one(*_service_docs(task_definition(containers=[container(environment=env)])))
    assert _container(plan)["secrets"][0]["valueFrom"] == \
        f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:app/API_TOKEN"
    draft = _one({"family": "draft", "containerDefinitions": [container(environment=env)]})
    assert PLACEHOLDER in _container(draft)["secrets"][0]["valueFrom"]


def test_read_only_root_with_scratch_volume_and_user() -> None:
    td = task_definition(containers=[container(readonlyRootFilesystem=None, user=None,
                                               privileged=True)])
    plan = _one(*_service_docs(td), options=FixOptions(default_user="10001:10001"))
    fixed = _container(plan)
    assert fixed["readonlyRootFilesystem"] is True
    assert fixed["user"] == "10001:10001"
    assert {"sourceVolume": "scratch-app-tmp", "containerPath": "/tmp", "readOnly": False} in \
        fixed["mountPoints"]
    assert plan.register_input is not None
    assert {"name": "scratch-app-tmp"} in plan.register_input["volumes"]
    without_user = _one(*_service_docs(td))
    assert "user" not in _container(without_user)
    assert any(c.trait_ids == ("root-user",) and c.confidence == "manual"
               for c in without_user.changes)


def test_mistyped_lists_are_kept_not_crashed_on() -> None:
    """A hand-edited export with a string where a list goes: the fixers append beside it."""
    td = task_definition(containers=[container(
        readonlyRootFilesystem=None, mountPoints="oops", secrets="also oops",
        environment=[{"name": "DB_PASSWORD", "value": "hunter2hunter2"}])], volumes="bad")
    plan = _one(*_service_docs(td))
    fixed = _container(plan)
    assert plan.register_input is not None
    assert plan.register_input["volumes"] == ["bad", {"name": "scratch-app-tmp"}]
    assert fixed["mountPoints"][0] == "oops" and fixed["secrets"][0] == "also oops"
    assert [s["name"] for s in fixed["secrets"][1:]] == ["DB_PASSWORD"]


def test_a_host_volume_named_by_a_list_is_removed_without_a_crash() -> None:
    td = task_definition(containers=[container(privileged=True, mountPoints=[
        {"sourceVolume": ["sock"], "containerPath": "/var/run/docker.sock"}])],
        volumes=[{"name": ["sock"], "host": {"sourcePath": "/var/run/docker.sock"}}])
    plan = _one(*_service_docs(td))
    assert plan.register_input is not None and "volumes" not in plan.register_input
    assert any(c.trait_ids == (HOST_MOUNT.id,) for c in plan.changes)


def test_public_ip_exec_and_platform_version_in_service_update() -> None:
    td = task_definition(containers=[container(privileged=True)])
    svc = service(public_ip=True, enableExecuteCommand=True, platformVersion="1.3.0")
    plan = _one(*_service_docs(td, svc))
    update = plan.update_service
    assert update is not None
    assert update["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] == "DISABLED"
    assert update["enableExecuteCommand"] is False
    assert update["platformVersion"] == "LATEST"
    jsonschema.validate(update, UPDATE)


def test_open_security_group_restricted_to_allow_cidr_or_load_balancer() -> None:
    td = task_definition(containers=[container(privileged=True)])
    docs = _service_docs(td, service(public_ip=True),
                         {"SecurityGroups": [security_group("sg-1", tcp(80), tcp(22, "::/0"))]},
                         *network())
    plan = _one(*docs, options=FixOptions(allow_cidrs=("10.0.0.0/8",)))
    groups = plan.security_groups
    assert groups is not None
    assert [r["IpPermissions"][0] for r in groups["revoke"]] == [
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}]
    assert groups["authorize"][0]["IpPermissions"][0]["IpRanges"][0]["CidrIp"] == "10.0.0.0/8"
    for entry in groups["revoke"]:
        jsonschema.validate(entry, REVOKE)
    for entry in groups["authorize"]:
        jsonschema.validate(entry, AUTHORIZE)
    closed = _one(*docs)
    assert closed.security_groups is not None and closed.security_groups["authorize"] == []
    assert any(c.confidence == "manual" and c.target == "security-group" for c in closed.changes)


def test_admin_policy_is_manual() -> None:
    iam = {"RoleDetailList": [{"RoleName": "t", "Arn": f"arn:aws:iam::{ACCOUNT}:role/t",
                               "AttachedManagedPolicies": [
                                   {"PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}]}],
           "Policies": []}
    td = task_definition(taskRoleArn=f"arn:aws:iam::{ACCOUNT}:role/t")
    plan = _one(*_service_docs(td), iam)
    assert [(c.trait_ids, c.confidence, c.target) for c in plan.changes] == [
        (("administrative-policy",), "manual", "iam")]
    assert plan.register_input is None


def test_fixers_are_idempotent() -> None:
    td = task_definition(networkMode="host", pidMode="host", containers=[container(
        privileged=True, user="0", readonlyRootFilesystem=None,
        environment=[{"name": "DB_PASSWORD", "value": "pw-123456789"}],
        linuxParameters={"capabilities": {"add": ["NET_ADMIN"]}})],
        volumes=[{"name": "v", "host": {"sourcePath": "/"}}])
    plan = _one(*_service_docs(td), options=FixOptions(default_user="1000"))
    fixed = plan.register_input
    assert fixed is not None
    again = copy.deepcopy(fixed)
    inventory = inventory_of({"family": "app", "containerDefinitions": []})
    from ecs_exposure.detectors import registry
    from ecs_exposure.detectors.registry import Context
    from ecs_exposure.settings import ScanMemo

    traits = list(registry.run("task-definition", Context(
        inventory, "app", again, None, settings=SETTINGS, memo=ScanMemo())))
    changes = fix_task_definition(again, traits, FixOptions(default_user="1000"))
    assert again == fixed
    assert changes == []


def _apply_offline(inventory: Inventory, plans: list[ServicePlan]) -> Inventory:
    """What AWS would hold after applying the plans: new revisions, updated services/groups."""
    result = copy.deepcopy(inventory)
    replaced: set[str] = set()
    for plan in plans:
        svc = result.services.get(plan.arn)
        if plan.register_input is not None:
            family = plan.register_input["family"]
            revision = 1000
            arn = f"arn:aws:ecs:us-east-1:{ACCOUNT}:task-definition/{family}:{revision}"
            result.add_task_definition({**plan.register_input, "taskDefinitionArn": arn,
                                        "revision": revision}, "applied")
            if svc is not None:
                svc["taskDefinition"] = arn
                svc.pop("deployments", None)
            replaced.add(plan.base_task_definition or plan.arn)
        if svc is not None and plan.update_service:
            for key in ("networkConfiguration", "enableExecuteCommand", "platformVersion"):
                if key in plan.update_service:
                    svc[key] = plan.update_service[key]
        for entry in (plan.security_groups or {}).get("revoke", []):
            group = result.security_groups[entry["GroupId"]]
            for perm in entry["IpPermissions"]:
                for existing in group["IpPermissions"]:
                    for key in ("IpRanges", "Ipv6Ranges"):
                        existing[key] = [r for r in existing.get(key, [])
                                         if r not in perm.get(key, [])]
    # Replaced revisions stay registered in AWS but no longer run; drop the ones no service runs.
    used = {result.resolve_task_definition(ref) for s in result.services.values()
            for ref in result.service_task_definition_refs(s)}
    for key in replaced - used:
        result.task_definitions.pop(key, None)
    return result


def _trait_set(result: ScanResult) -> set[tuple[str, str]]:
    return {(f.name, t.id) for f in result.findings + result.task_definition_findings
            for t in f.traits}


def test_demo_fix_removes_fixed_traits_and_adds_nothing(demo_dir: Any) -> None:
    from ecs_exposure.sources.files import load_paths

    inventory = Inventory()
    load_paths([Path(str(demo_dir))], inventory)
    before = scan_inventory(inventory, SETTINGS)
    options = FixOptions(allow_cidrs=("10.0.0.0/8",), default_user="10001:10001")
    plans = [plan_for(inventory, f, options)
             for f in before.findings + before.task_definition_findings]
    for plan in plans:
        if plan.register_input is not None:
            jsonschema.validate(plan.register_input, REGISTER)
        if plan.update_service is not None:
            jsonschema.validate(plan.update_service, UPDATE)
    after = scan_inventory(_apply_offline(inventory, plans), SETTINGS)
    fixed_ids = {i for p in plans for c in p.changes if c.confidence != "manual"
                 for i in c.trait_ids if i != "internet-reachable"}
    remaining = _trait_set(after)
    new = remaining - _trait_set(before)
    assert new == set(), new
    still = {(name, tid) for name, tid in remaining if tid in fixed_ids
             and tid not in ("open-security-group",)}
    # Only traits on resources we do not rewrite remain (LB security groups, manual items).
    assert still == set(), still
    assert ("storefront-web", "privileged-container") not in remaining
    assert ("metrics-agent", "host-pid-namespace") not in remaining
    assert ("batch-worker", "plaintext-credentials") not in remaining


def test_fix_cli_writes_plan_files_for_the_demo(tmp_path: Path) -> None:
    out = tmp_path / "fixes"
    result = CliRunner().invoke(main, ["fix", "--demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    plan = json.loads((out / "plan.json").read_text())
    services = {(p["cluster"], p["service"]) for p in plan["plans"]}
    assert ("prod", "storefront-web") in services and ("prod", "internal-api") not in services
    storefront = out / "prod" / "storefront-web"
    assert sorted(p.name for p in storefront.iterdir()) == [
        "PLAN.md", "security-groups.json", "task-definition.json", "update-service.json"]
    text = (storefront / "PLAN.md").read_text()
    assert "remove privileged from container web" in text and "```diff" in text
    written = "".join(p.read_text() for p in out.rglob("*") if p.is_file())
    for secret in DEMO_SECRETS:
        assert secret not in written and secret not in result.output
    assert (out / "unattached-task-definitions" / "debug-toolbox" / "task-definition.json").exists()


def test_hostile_names_cannot_escape_the_output_folder(tmp_path: Path) -> None:
    td = task_definition(containers=[container(privileged=True)])
    svc = service("../../etc/evil")
    (tmp_path / "in").mkdir()
    for index, doc in enumerate(_service_docs(td, svc)):
        (tmp_path / "in" / f"{index}.json").write_text(json.dumps(doc))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["fix", str(tmp_path / "in"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    written = [p for p in tmp_path.rglob("*") if p.is_file() and "in" not in p.parts]
    assert all(out in p.parents for p in written)


def test_finding_without_fixable_traits_writes_nothing(tmp_path: Path) -> None:
    td = task_definition()
    (tmp_path / "td.json").write_text(json.dumps(td))
    result = CliRunner().invoke(main, ["fix", str(tmp_path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0
    assert json.loads((tmp_path / "o" / "plan.json").read_text())["plans"] == []


def test_apply_is_refused_for_plans_built_from_files(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["fix", "--demo", "--out", str(tmp_path), "--apply"])
    assert result.exit_code == 2
    assert "--apply needs --aws" in result.output
    assert not (tmp_path / "applied.json").exists()



def test_register_input_fields_are_botocores() -> None:
    """The fields read straight from botocore's data folder are the ones its loader gives."""
    from botocore.loaders import Loader

    from ecs_exposure.remediation.register_input import register_input_fields

    model = Loader().load_service_model("ecs", "service-2")
    shape = model["operations"]["RegisterTaskDefinition"]["input"]["shape"]
    assert register_input_fields() == frozenset(model["shapes"][shape]["members"])
    assert {"family", "containerDefinitions", "taskRoleArn"} <= register_input_fields()


def test_windows_administrator_becomes_container_user() -> None:
    """Traits with no concrete task definition change (EFS at rest, shared roles, health
    checks) have no fixer: their guidance says what to do, no identical revision is planned."""
    role = f"arn:aws:iam::{ACCOUNT}:role/app"
    td = task_definition(
        runtimePlatform={"operatingSystemFamily": "WINDOWS_SERVER_2022_CORE"},
        taskRoleArn=role, executionRoleArn=role, containers=[container(
            user="ContainerAdministrator", privileged=True, healthCheck=None)],
        volumes=[{"name": "data", "efsVolumeConfiguration": {
            "fileSystemId": "fs-1", "transitEncryption": "ENABLED"}}])
    plan = _one(*_service_docs(td), {"FileSystems": [{"FileSystemId": "fs-1",
                                                       "Encrypted": False}]})
    assert _container(plan)["user"] == "ContainerUser"
    assert sorted((c.trait_ids, c.confidence) for c in plan.changes) == [
        (("privileged-container",), "review"), (("windows-admin-user",), "review")]
