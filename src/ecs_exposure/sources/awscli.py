"""The AWS CLI JSON reader: ``describe-*`` outputs of ECS, EC2 and ELBv2, task definitions and
IAM authorization details, as exported files or as the members of a snapshot.

:mod:`.classify` decides what a document is; this module says how each kind enters the
Inventory, keeping the JSON pointer of every resource (under ``context.base`` for a document
nested in a snapshot) so evidence lands on its line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ecs_exposure.inventory import Inventory
from ecs_exposure.sources.classify import Kind, classify
from ecs_exposure.sources.context import ReadContext

_Add = Callable[[Inventory, Any, str, str], None]
"""``(inventory, document, source, base pointer)``: add one recognised document."""


def _task_definition(inventory: Inventory, doc: Any, source: str, base: str) -> None:
    wrapped = isinstance(doc.get("taskDefinition"), dict)
    inventory.add_task_definition(doc["taskDefinition"] if wrapped else doc, source,
                                  base + ("/taskDefinition" if wrapped else ""))


def _task_definitions(inventory: Inventory, doc: Any, source: str, base: str) -> None:
    items, prefix = (doc, "") if isinstance(doc, list) else (doc["taskDefinitions"],
                                                             "/taskDefinitions")
    for index, item in enumerate(items):
        inventory.add_task_definition(item, source, f"{base}{prefix}/{index}")


def _services(inventory: Inventory, doc: Any, source: str, base: str) -> None:
    for index, service in enumerate(doc["services"]):
        if isinstance(service, dict):
            inventory.add_service(service, source, f"{base}/services/{index}")


def _clusters(inventory: Inventory, doc: Any, source: str, base: str) -> None:
    for index, cluster in enumerate(doc["clusters"]):
        if isinstance(cluster, dict):
            inventory.add_cluster(cluster, source, f"{base}/clusters/{index}")


def _ec2(key: str, name: str) -> _Add:
    def add(inventory: Inventory, doc: Any, source: str, base: str) -> None:
        inventory.add_ec2(name, doc[key], source, f"{base}/{key}")
    return add


def _elbv2(key: str, name: str) -> _Add:
    def add(inventory: Inventory, doc: Any, source: str, base: str) -> None:
        inventory.add_elbv2(name, doc[key], source, f"{base}/{key}")
    return add


def _file_systems(inventory: Inventory, doc: Any, source: str, base: str) -> None:
    inventory.add_file_systems(doc["FileSystems"], source, f"{base}/FileSystems")


def _iam(inventory: Inventory, doc: Any, source: str, base: str) -> None:
    inventory.add_iam(doc, source, base)


_ADD: dict[Kind, _Add] = {
    Kind.TASK_DEFINITION: _task_definition,
    Kind.TASK_DEFINITIONS: _task_definitions,
    Kind.SERVICES: _services,
    Kind.CLUSTERS: _clusters,
    Kind.SECURITY_GROUPS: _ec2("SecurityGroups", "security-groups"),
    Kind.SUBNETS: _ec2("Subnets", "subnets"),
    Kind.ROUTE_TABLES: _ec2("RouteTables", "route-tables"),
    Kind.NETWORK_INTERFACES: _ec2("NetworkInterfaces", "network-interfaces"),
    Kind.LOAD_BALANCERS: _elbv2("LoadBalancers", "load-balancers"),
    Kind.TARGET_GROUPS: _elbv2("TargetGroups", "target-groups"),
    Kind.LISTENERS: _elbv2("Listeners", "listeners"),
    Kind.IAM: _iam,
    Kind.FILE_SYSTEMS: _file_systems,
}


def read_document(inventory: Inventory, doc: Any, source: str, context: ReadContext) -> bool:
    """Document reader: any output :func:`.classify` recognises."""
    kind = classify(doc).kind
    if kind is None:
        return False
    _ADD[kind](inventory, doc, source, context.base)
    return True
