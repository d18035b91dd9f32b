"""Two task definitions of one family, or two services of one name, in one template or plan
are two resources: both are kept and assessed, in either order, and each service runs the
task definition it refers to."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ecs_exposure.detectors.containers import PRIVILEGED
from ecs_exposure.inventory import Inventory
from ecs_exposure.model import ScanResult
from support.iac_helpers import scan_paths, write

ORDERS = [("priv", "plain"), ("plain", "priv")]


def _runs(inventory: Inventory) -> dict[str, bool]:
    """Service key → whether the task definition it runs has a privileged container."""
    found: dict[str, bool] = {}
    for key, service in inventory.services.items():
        td_key = inventory.resolve_task_definition(service["taskDefinition"])
        assert td_key is not None, service["taskDefinition"]
        containers = inventory.task_definitions[td_key]["containerDefinitions"]
        found[key] = any(c.get("privileged") is True for c in containers)
    return found


def _check(result: ScanResult, inventory: Inventory) -> None:
    assert len(inventory.task_definitions) == 2
    assert len(inventory.services) == 2
    assert {td["family"] for td in inventory.task_definitions.values()} == {"app"}
    assert sorted(_runs(inventory).values()) == [False, True]
    privileged = [f for f in result.findings if any(t.id == PRIVILEGED.id for t in f.traits)]
    assert len(privileged) == 1
    assert _runs(inventory)[privileged[0].arn] is True


CFN_TD = {
    "priv": """\
  Priv:
    Type: AWS::ECS::TaskDefinition
    Properties:
      Family: app
      ContainerDefinitions:
        - {Name: web, Image: nginx:1.27, Privileged: true}
""",
    "plain": """\
  Plain:
    Type: AWS::ECS::TaskDefinition
    Properties:
      Family: app
      ContainerDefinitions:
        - {Name: web, Image: nginx:1.27}
"""}
CFN_SERVICES = """\
  SvcPriv:
    Type: AWS::ECS::Service
    Properties: {ServiceName: svc, TaskDefinition: !Ref Priv}
  SvcPlain:
    Type: AWS::ECS::Service
    Properties: {ServiceName: svc, TaskDefinition: !Ref Plain}
"""


@pytest.mark.parametrize("order", ORDERS)
def test_cloudformation_keeps_both_task_definitions_and_services(
        tmp_path: Path, order: tuple[str, str]) -> None:
    text = "Resources:\n" + "".join(CFN_TD[name] for name in order) + CFN_SERVICES
    result, inventory, report = scan_paths([write(tmp_path, "t.yaml", text)])
    assert not report.errors
    _check(result, inventory)
    assert sorted(inventory.task_definitions) == [
        "arn:aws:ecs:::task-definition/app#Plain", "arn:aws:ecs:::task-definition/app#Priv"]


def test_cloudformation_unattached_duplicates_are_both_assessed(tmp_path: Path) -> None:
    for order in ORDERS:
        text = "Resources:\n" + "".join(CFN_TD[name] for name in order)
        result, inventory, _ = scan_paths([write(tmp_path, f"{order[0]}.yaml", text)])
        assert len(inventory.task_definitions) == 2
        flagged = [f for f in result.task_definition_findings
                   if any(t.id == PRIVILEGED.id for t in f.traits)]
        assert [f.arn for f in flagged] == ["arn:aws:ecs:::task-definition/app#Priv"]


HCL_TD = {
    "priv": """\
resource "aws_ecs_task_definition" "priv" {
  family                = "app"
  container_definitions = jsonencode([{ name = "web", image = "nginx:1.27", privileged = true }])
}
""",
    "plain": """\
resource "aws_ecs_task_definition" "plain" {
  family                = "app"
  container_definitions = jsonencode([{ name = "web", image = "nginx:1.27" }])
}
"""}
HCL_SERVICES = """\
resource "aws_ecs_service" "priv" {
  name            = "svc"
  task_definition = aws_ecs_task_definition.priv.arn
}
resource "aws_ecs_service" "plain" {
  name            = "svc"
  task_definition = aws_ecs_task_definition.plain.arn
}
"""


@pytest.mark.parametrize("order", ORDERS)
def test_terraform_file_keeps_both_task_definitions_and_services(
        tmp_path: Path, order: tuple[str, str]) -> None:
    text = "".join(HCL_TD[name] for name in order) + HCL_SERVICES
    result, inventory, report = scan_paths([write(tmp_path, "main.tf", text)])
    assert report.read and not report.errors
    _check(result, inventory)


@pytest.mark.parametrize("order", ORDERS)
def test_terraform_services_in_another_file_of_the_module(
        tmp_path: Path, order: tuple[str, str]) -> None:
    write(tmp_path, "tf/td.tf", "".join(HCL_TD[name] for name in order))
    write(tmp_path, "tf/services.tf", HCL_SERVICES)
    result, inventory, _ = scan_paths([tmp_path / "tf"])
    _check(result, inventory)


def _change(address: str, after: dict[str, Any], unknown: dict[str, Any]) -> dict[str, Any]:
    kind, name = address.rsplit(".", 1)
    return {"address": address, "mode": "managed", "type": kind, "name": name,
            "change": {"actions": ["create"], "before": None, "after": after,
                       "after_unknown": unknown}}


def _plan(order: tuple[str, str]) -> dict[str, Any]:
    containers = {
        "priv": [{"name": "web", "image": "nginx:1.27", "privileged": True}],
        "plain": [{"name": "web", "image": "nginx:1.27"}]}
    changes = [_change(f"aws_ecs_task_definition.{name}",
                       {"family": "app", "container_definitions": json.dumps(containers[name])},
                       {"arn": True, "revision": True}) for name in order]
    changes += [_change(f"aws_ecs_service.{name}", {"name": "svc"},
                        {"id": True, "task_definition": True}) for name in order]
    expressions = [{"address": f"aws_ecs_service.{name}", "expressions": {"task_definition": {
        "references": [f"aws_ecs_task_definition.{name}.arn",
                       f"aws_ecs_task_definition.{name}"]}}} for name in order]
    return {"format_version": "1.2", "resource_changes": changes,
            "configuration": {"root_module": {"resources": expressions}}}


@pytest.mark.parametrize("order", ORDERS)
def test_terraform_plan_keeps_both_task_definitions_and_services(
        tmp_path: Path, order: tuple[str, str]) -> None:
    path = write(tmp_path, "plan.json", json.dumps(_plan(order), indent=1))
    result, inventory, report = scan_paths([path])
    assert report.read == [str(path)]
    _check(result, inventory)
    assert sorted(inventory.task_definitions) == [
        "arn:aws:ecs:::task-definition/app#aws_ecs_task_definition.plain",
        "arn:aws:ecs:::task-definition/app#aws_ecs_task_definition.priv"]


def test_count_instances_of_one_task_definition_are_each_kept(tmp_path: Path) -> None:
    plan = _plan(("priv", "plain"))
    for index, change in enumerate(plan["resource_changes"][:2]):
        change["address"] = f"aws_ecs_task_definition.app[{index}]"
    plan["resource_changes"] = plan["resource_changes"][:2]
    _, inventory, _ = scan_paths([write(tmp_path, "plan.json", json.dumps(plan))])
    assert len(inventory.task_definitions) == 2


def test_a_family_used_once_keeps_its_plain_key(tmp_path: Path) -> None:
    text = "Resources:\n" + CFN_TD["priv"]
    _, inventory, _ = scan_paths([write(tmp_path, "t.yaml", text)])
    assert list(inventory.task_definitions) == ["app"]
    _, inventory, _ = scan_paths([write(tmp_path, "tf/main.tf", HCL_TD["priv"])])
    assert list(inventory.task_definitions) == ["app"]
