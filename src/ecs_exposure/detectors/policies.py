"""Reading IAM policy documents for administrative and service-admin grants.

Kept apart from the detector so the same grant logic serves roles from any source (CLI JSON,
live collection, CloudFormation), and so it can be tested on documents alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from ecs_exposure.detectors.util import escape_pointer

GrantKind = Literal["admin", "service-admin"]

ADMIN_MANAGED_POLICIES = {
    "AdministratorAccess": "full access to every AWS service",
    "IAMFullAccess": "full IAM access, which can grant itself anything",
    "PowerUserAccess": "every action outside IAM and Organizations",
}
"""AWS-managed policies recognised by ARN even when the inputs do not include their document."""

SERVICE_ADMIN_MANAGED_POLICIES = {
    "AmazonS3FullAccess": "s3",
    "AmazonDynamoDBFullAccess": "dynamodb",
    "AmazonEC2FullAccess": "ec2",
    "AmazonRDSFullAccess": "rds",
    "AmazonSQSFullAccess": "sqs",
    "AmazonSNSFullAccess": "sns",
    "AmazonECS_FullAccess": "ecs",
    "AmazonEC2ContainerRegistryFullAccess": "ecr",
    "AWSLambda_FullAccess": "lambda",
    "CloudWatchFullAccess": "cloudwatch",
    "AmazonKinesisFullAccess": "kinesis",
    "SecretsManagerReadWrite": "secretsmanager",
    "AWSKeyManagementServicePowerUser": "kms",
}
"""AWS-managed ``*FullAccess`` policies that grant ``<service>:*`` on ``*``."""

_SERVICE_WILDCARD = re.compile(r"^([a-z0-9-]+):\*$")


@dataclass(frozen=True)
class Grant:
    """One statement (or managed policy) that grants admin or service-admin power."""

    kind: GrantKind
    pointer: str
    """JSON pointer to the statement inside the policy document ("" for a managed policy)."""
    detail: str
    services: tuple[str, ...] = ()
    conditional: bool = False


def strings(value: Any) -> list[str]:
    """IAM allows a string or a list of strings almost everywhere."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def statements(document: Any) -> list[tuple[str, dict[str, Any]]]:
    """``(pointer, statement)`` pairs; ``Statement`` may be one object or a list."""
    if not isinstance(document, dict):
        return []
    body = document.get("Statement")
    if isinstance(body, dict):
        return [("/Statement", body)]
    if isinstance(body, list):
        return [(f"/Statement/{i}", s) for i, s in enumerate(body) if isinstance(s, dict)]
    return []


def _all_resources(statement: dict[str, Any]) -> bool:
    if "NotResource" in statement:
        return True  # "everything except …" is effectively everything
    return "*" in strings(statement.get("Resource"))


def denies_everything(document: Any) -> bool:
    """An unconditional ``Deny *`` on ``*`` cancels every Allow of the role."""
    return any(
        s.get("Effect") == "Deny" and "Condition" not in s
        and any(a in ("*", "*:*") for a in strings(s.get("Action")))
        and "*" in strings(s.get("Resource"))
        for _, s in statements(document)
    )


def analyse_document(document: Any) -> list[Grant]:
    """Admin and service-admin grants in one policy document."""
    grants: list[Grant] = []
    for pointer, statement in statements(document):
        if statement.get("Effect") != "Allow" or not _all_resources(statement):
            continue
        conditional = "Condition" in statement
        actions = strings(statement.get("Action"))
        if "NotAction" in statement:
            excluded = ", ".join(strings(statement.get("NotAction"))) or "nothing"
            grants.append(Grant("admin", pointer,
                                f"allows every action except {excluded} on all resources "
                                "(NotAction)", conditional=conditional))
            continue
        if any(a in ("*", "*:*") for a in actions):
            grants.append(Grant("admin", pointer, "allows Action * on Resource *",
                                conditional=conditional))
            continue
        services = sorted({m.group(1) for a in actions
                           if (m := _SERVICE_WILDCARD.match(a.lower()))})
        if "iam" in services:
            grants.append(Grant("admin", pointer,
                                "allows iam:* on Resource *, enough to grant itself anything",
                                services=("iam",), conditional=conditional))
        elif services:
            grants.append(Grant("service-admin", pointer,
                                f"allows {', '.join(s + ':*' for s in services)} on Resource *",
                                services=tuple(services), conditional=conditional))
    return grants


def managed_policy_name(policy_arn: str) -> str | None:
    """Name of an AWS-managed policy (``arn:<partition>:iam::aws:policy/[path/]Name``)."""
    parts = policy_arn.split(":", 5)
    if len(parts) == 6 and parts[4] == "aws" and parts[5].startswith("policy/"):
        return parts[5].rsplit("/", 1)[-1]
    return None


def known_managed_grant(policy_arn: str) -> Grant | None:
    """Grant implied by a well-known AWS-managed policy ARN alone."""
    name = managed_policy_name(policy_arn)
    if name in ADMIN_MANAGED_POLICIES:
        return Grant("admin", "", f"AWS-managed {name}: {ADMIN_MANAGED_POLICIES[name]}")
    if name in SERVICE_ADMIN_MANAGED_POLICIES:
        service = SERVICE_ADMIN_MANAGED_POLICIES[name]
        return Grant("service-admin", "", f"AWS-managed {name}: {service}:* on all resources",
                     services=(service,))
    return None


def pointer_join(prefix: str, *tokens: object) -> str:
    """Append escaped tokens to a JSON pointer."""
    return prefix + "".join("/" + escape_pointer(t) for t in tokens)
