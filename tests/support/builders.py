"""Builders for small, API-shaped inputs, so each test states only what it is about."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ecs_exposure.detectors import registry
from ecs_exposure.detectors.registry import Context
from ecs_exposure.inventory import Inventory
from ecs_exposure.model import ScanResult, Trait
from ecs_exposure.pipeline import scan_for_reports, scan_inventory
from ecs_exposure.reporters.json_report import EVERY_FIELD, result_dict
from ecs_exposure.settings import ScanMemo, ScanSettings
from ecs_exposure.sources.files import add_document

ACCOUNT = "111122223333"
REGION = "us-east-1"
CLUSTER_ARN = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/prod"
CLOCK = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
"""Tests judge at a fixed time, so image ages, end-of-life dates and exception expiry do not
change from one day to the next."""
SETTINGS = ScanSettings(now=CLOCK)
"""Default settings at :data:`CLOCK`."""


def container(name: str = "app", **fields: Any) -> dict[str, Any]:
    """A hardened container unless the test says otherwise."""
    base: dict[str, Any] = {
        "name": name, "image": "nginx:1.27", "essential": True, "user": "1000",
        "readonlyRootFilesystem": True,
        "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "g"}},
        "portMappings": [{"containerPort": 80, "protocol": "tcp"}],
        "healthCheck": {"command": ["CMD-SHELL", "curl -f http://localhost/ || exit 1"]},
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


def task_definition(family: str = "app", revision: int = 1, containers: list[Any] | None = None,
                    **fields: Any) -> dict[str, Any]:
    td: dict[str, Any] = {
        "taskDefinitionArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{family}:{revision}",
        "family": family, "revision": revision, "networkMode": "awsvpc",
        "containerDefinitions": containers if containers is not None else [container()],
    }
    td.update(fields)
    return {k: v for k, v in td.items() if v is not None}


def service(name: str = "svc", family: str = "app", revision: int = 1, *,
            public_ip: bool = False, groups: tuple[str, ...] = ("sg-1",),
            subnets: tuple[str, ...] = ("subnet-pub",), **fields: Any) -> dict[str, Any]:
    svc: dict[str, Any] = {
        "serviceArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/prod/{name}",
        "serviceName": name, "clusterArn": CLUSTER_ARN,
        "taskDefinition": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{family}:{revision}",
        "launchType": "FARGATE", "platformVersion": "LATEST",
        "networkConfiguration": {"awsvpcConfiguration": {
            "subnets": list(subnets), "securityGroups": list(groups),
            "assignPublicIp": "ENABLED" if public_ip else "DISABLED"}},
    }
    svc.update(fields)
    return svc


def security_group(group_id: str = "sg-1", *permissions: dict[str, Any]) -> dict[str, Any]:
    return {"GroupId": group_id, "GroupName": group_id, "OwnerId": ACCOUNT, "VpcId": "vpc-1",
            "IpPermissions": list(permissions)}


def tcp(port: int, cidr: str = "0.0.0.0/0", to_port: int | None = None) -> dict[str, Any]:
    key, cidr_key = ("Ipv6Ranges", "CidrIpv6") if ":" in cidr else ("IpRanges", "CidrIp")
    return {"IpProtocol": "tcp", "FromPort": port, "ToPort": to_port or port,
            key: [{cidr_key: cidr}]}


def network(public: bool = True) -> list[dict[str, Any]]:
    """Subnets + route tables: subnet-pub routes to an internet gateway, subnet-priv to NAT."""
    return [
        {"Subnets": [{"SubnetId": "subnet-pub", "VpcId": "vpc-1"},
                     {"SubnetId": "subnet-priv", "VpcId": "vpc-1"}]},
        {"RouteTables": [
            {"RouteTableId": "rtb-pub", "VpcId": "vpc-1",
             "Routes": [{"DestinationCidrBlock": "0.0.0.0/0",
                         "GatewayId": "igw-1" if public else "local", "State": "active"}],
             "Associations": [{"Main": False, "SubnetId": "subnet-pub"}]},
            {"RouteTableId": "rtb-main", "VpcId": "vpc-1",
             "Routes": [{"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1",
                         "State": "active"}],
             "Associations": [{"Main": True}]},
        ]},
    ]


def inventory_of(*docs: Any) -> Inventory:
    inventory = Inventory()
    for index, doc in enumerate(docs):
        reason = add_document(inventory, doc, f"input-{index}.json")
        assert reason is None, reason
    return inventory


def scan_docs(*docs: Any, settings: ScanSettings = SETTINGS) -> ScanResult:
    return scan_inventory(inventory_of(*docs), settings)


def scan_json(inventory: Inventory, settings: ScanSettings = SETTINGS) -> dict[str, Any]:
    """The JSON result of a scan with every trait field (evidence locations, each trait's
    title and remediation): the tree every format but the compact JSON builds on."""
    result, context = scan_for_reports(inventory, settings)
    with context:
        return result_dict(result, context, include=EVERY_FIELD)


def run_detectors(inventory: Inventory, key: str, settings: ScanSettings = SETTINGS
                  ) -> list[Trait]:
    """Traits the task-definition detectors find on the task definition ``key``."""
    td = inventory.task_definitions[key]
    return list(registry.run("task-definition", Context(
        inventory, key, td, None, settings=settings, memo=ScanMemo())))


def td_traits(td: dict[str, Any], *context: Any) -> list[Trait]:
    """Traits the task-definition detectors find on one task definition."""
    inventory = inventory_of({"taskDefinition": td}, *context)
    key = next(iter(inventory.task_definitions))
    return list(registry.run("task-definition", Context(
        inventory, key, td, None, settings=SETTINGS, memo=ScanMemo())))


def ids(traits: list[Trait]) -> list[str]:
    return sorted(t.id for t in traits)
