"""Builders for IAM inputs: a role under test with statements, and other roles around it."""

from __future__ import annotations

from typing import Any

from ecs_exposure.analysis.iam.analysis import RoleAnalysis, analyse_role
from ecs_exposure.analysis.iam.evaluate import Evaluator
from ecs_exposure.analysis.iam.principal import role_policies
from ecs_exposure.inventory import Inventory
from ecs_exposure.settings import ScanMemo
from support.builders import ACCOUNT, inventory_of

ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/app-task"


def arn(kind: str, name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:{kind}/{name}"


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any, resource: Any = "*", **more: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **more}


def deny(action: Any, resource: Any = "*", **more: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **more}


def trust(service: str | None = None, aws: str | None = None,
          condition: dict[str, Any] | None = None) -> dict[str, Any]:
    principal = {"Service": service} if service else {"AWS": aws}
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": principal,
                                 "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    return doc(statement)


def role(name: str = "app-task", *statements: dict[str, Any], attached: tuple[str, ...] = (),
         boundary: str | None = None, trusts: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "RoleName": name, "Arn": arn("role", name),
        "AssumeRolePolicyDocument": trusts or trust("ecs-tasks.amazonaws.com"),
        "RolePolicyList": [{"PolicyName": "inline", "PolicyDocument": doc(*statements)}]
        if statements else [],
        "AttachedManagedPolicies": [{"PolicyName": a.rsplit("/", 1)[-1], "PolicyArn": a}
                                    for a in attached],
    }
    if boundary:
        body["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy",
                                       "PermissionsBoundaryArn": boundary}
    return body


def policy(name: str, *versions: dict[str, Any], default: int = -1) -> dict[str, Any]:
    """A customer-managed policy; ``default`` indexes the default version."""
    index = default % len(versions)
    return {"PolicyName": name, "Arn": arn("policy", name), "DefaultVersionId": f"v{index + 1}",
            "PolicyVersionList": [{"VersionId": f"v{i + 1}", "IsDefaultVersion": i == index,
                                   "Document": v} for i, v in enumerate(versions)]}


def inventory(*roles: dict[str, Any], policies: tuple[dict[str, Any], ...] = (),
              more: tuple[Any, ...] = ()) -> Inventory:
    return inventory_of({"RoleDetailList": list(roles), "Policies": list(policies),
                         "UserDetailList": [], "GroupDetailList": []}, *more)


def analyse(*statements: dict[str, Any], others: tuple[dict[str, Any], ...] = (),
            policies: tuple[dict[str, Any], ...] = (), more: tuple[Any, ...] = (),
            **role_fields: Any) -> RoleAnalysis:
    me = role("app-task", *statements, **role_fields)
    return analyse_role(inventory(me, *others, policies=policies, more=more), me, ScanMemo())


def evaluator(*statements: dict[str, Any], policies: tuple[dict[str, Any], ...] = (),
              **role_fields: Any) -> Evaluator:
    me = role("app-task", *statements, **role_fields)
    return Evaluator(role_policies(inventory(me, policies=policies), me, ScanMemo()))


def patterns(analysis: RoleAnalysis) -> dict[str, Any]:
    return {p.pattern.id: p for p in analysis.paths}
