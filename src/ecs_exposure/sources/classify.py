"""Decide what an input document is from its content, never from its file name.

Users export with whatever names they like (``out.json``, ``prod-services.txt``); the AWS API
shape is the only reliable signal. Each rule names the keys that identify an output.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any


class Kind(Enum):
    """Input kinds this version reads into the Inventory."""

    TASK_DEFINITION = "ECS task definition"
    TASK_DEFINITIONS = "ECS task definitions"
    SERVICES = "ECS services (describe-services)"
    CLUSTERS = "ECS clusters (describe-clusters)"
    SECURITY_GROUPS = "EC2 security groups"
    SUBNETS = "EC2 subnets"
    ROUTE_TABLES = "EC2 route tables"
    NETWORK_INTERFACES = "EC2 network interfaces"
    LOAD_BALANCERS = "ELBv2 load balancers"
    TARGET_GROUPS = "ELBv2 target groups"
    LISTENERS = "ELBv2 listeners"
    IAM = "IAM account authorization details"
    FILE_SYSTEMS = "EFS file systems (describe-file-systems)"


@dataclass(frozen=True)
class Classification:
    """Either a kind, or the reason the document was not recognised."""

    kind: Kind | None
    reason: str = ""


_LIST_KEYS: tuple[tuple[str, Kind], ...] = (
    ("services", Kind.SERVICES),
    ("clusters", Kind.CLUSTERS),
    ("SecurityGroups", Kind.SECURITY_GROUPS),
    ("Subnets", Kind.SUBNETS),
    ("RouteTables", Kind.ROUTE_TABLES),
    ("NetworkInterfaces", Kind.NETWORK_INTERFACES),
    ("LoadBalancers", Kind.LOAD_BALANCERS),
    ("TargetGroups", Kind.TARGET_GROUPS),
    ("Listeners", Kind.LISTENERS),
    ("FileSystems", Kind.FILE_SYSTEMS),
)

_ARN_ONLY = ("serviceArns", "clusterArns", "taskDefinitionArns", "taskArns")

_RECOGNISED_LATER = {
    "SchemaVersion": "a Trivy report that is not of a container image",
    "matches": "a Grype report that is not of a container image",
    "bomFormat": "a CycloneDX document with no vulnerabilities about a container image",
}

_EMPTY_IAC = {
    "AWSTemplateFormatVersion": "a CloudFormation template without AWS resources",
    "Resources": "a CloudFormation template without AWS resources",
    "format_version": "Terraform JSON without plan or state values",
}
"""Templates and plans are claimed by the IaC readers first; reaching here means empty."""


def is_task_definition(doc: Any) -> bool:
    """A bare task definition or register-task-definition input."""
    return (
        isinstance(doc, dict)
        and isinstance(doc.get("containerDefinitions"), list)
        and ("family" in doc or "taskDefinitionArn" in doc)
    )


def classify(doc: Any) -> Classification:
    """Classify one parsed JSON document."""
    if isinstance(doc, list):
        if doc and all(is_task_definition(item) for item in doc):
            return Classification(Kind.TASK_DEFINITIONS)
        return Classification(None, "a JSON array that is not a list of task definitions")
    if not isinstance(doc, dict):
        return Classification(None, "not a JSON object")
    if isinstance(doc.get("taskDefinition"), dict) and is_task_definition(doc["taskDefinition"]):
        return Classification(Kind.TASK_DEFINITION)
    if is_task_definition(doc):
        return Classification(Kind.TASK_DEFINITION)
    if isinstance(doc.get("taskDefinitions"), list) and all(
        is_task_definition(item) for item in doc["taskDefinitions"]
    ):
        return Classification(Kind.TASK_DEFINITIONS)
    if "RoleDetailList" in doc or ("Policies" in doc and "UserDetailList" in doc):
        return Classification(Kind.IAM)
    for key, kind in _LIST_KEYS:
        if isinstance(doc.get(key), list):
            return Classification(kind)
    for key in _ARN_ONLY:
        if key in doc:
            return Classification(
                None, f"'{key}' lists ARNs only; export the describe-* output instead"
            )
    for key, what in _RECOGNISED_LATER.items():
        if key in doc:
            return Classification(None, f"looks like {what}, which this version does not read")
    for key, what in _EMPTY_IAC.items():
        if key in doc:
            return Classification(None, f"{what}: nothing to scan")
    keys = ", ".join(sorted(map(str, doc))[:5]) or "no keys"
    return Classification(None, f"unrecognised JSON object (top-level keys: {keys})")
