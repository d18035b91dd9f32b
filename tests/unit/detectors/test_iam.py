from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest

from ecs_exposure.analysis.iam.grants import analyse_document
from ecs_exposure.model import Level
from support.builders import ACCOUNT, ids, task_definition, td_traits

ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/app-task"


def _iam(inline: list[dict[str, Any]] | None = None, attached: list[str] | None = None,
         policies: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "RoleDetailList": [{
            "RoleName": "app-task", "Arn": ROLE_ARN,
            "RolePolicyList": [{"PolicyName": f"p{i}", "PolicyDocument": doc}
                               for i, doc in enumerate(inline or [])],
            "AttachedManagedPolicies": [{"PolicyName": a.rsplit("/", 1)[-1], "PolicyArn": a}
                                        for a in attached or []],
        }],
        "Policies": policies or [],
        "UserDetailList": [], "GroupDetailList": [],
    }


def _doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _traits(iam: dict[str, Any], **td_fields: Any) -> list[Any]:
    fields = {"taskRoleArn": ROLE_ARN, **td_fields}
    return td_traits(task_definition(**fields), iam)


def test_assumable_role_is_contextual_and_always_reported() -> None:
    traits = _traits(_iam())
    assert ids(traits).count("assumable-role") == 1
    assert next(t for t in traits if t.id == "assumable-role").pointer == "/taskRoleArn"


@pytest.mark.parametrize("name", ["AdministratorAccess", "IAMFullAccess"])
def test_aws_managed_admin_recognised_by_arn_without_document(name: str) -> None:
    traits = _traits(_iam(attached=[f"arn:aws:iam::aws:policy/{name}"]))
    admin = [t for t in traits if t.id == "administrative-policy"]
    assert len(admin) == 1
    assert admin[0].pointer == "/AttachedManagedPolicies/0"
    assert admin[0].impact is Level.HIGH
    assert name in admin[0].detail


def test_other_partitions_recognised() -> None:
    traits = _traits(_iam(attached=["arn:aws-cn:iam::aws:policy/AdministratorAccess"]))
    assert "administrative-policy" in ids(traits)


@pytest.mark.parametrize("action", ["*", ["*"], "*:*", ["s3:GetObject", "*:*"], "iam:*"])
def test_inline_star_on_star_is_admin(action: object) -> None:
    traits = _traits(_iam(inline=[_doc({"Effect": "Allow", "Action": action, "Resource": "*"})]))
    admin = [t for t in traits if t.id == "administrative-policy"]
    assert len(admin) == 1
    assert admin[0].pointer == "/RolePolicyList/0/PolicyDocument/Statement/0"
    assert admin[0].resource == ROLE_ARN


def test_single_statement_object_and_url_encoded_document() -> None:
    doc = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*",
                                                  "Resource": ["*"]}}
    traits = _traits(_iam(inline=[quote(json.dumps(doc))]))  # type: ignore[list-item]
    admin = [t for t in traits if t.id == "administrative-policy"]
    assert admin[0].pointer == "/RolePolicyList/0/PolicyDocument/Statement"


def test_service_wildcard_list_is_service_admin() -> None:
    traits = _traits(_iam(inline=[_doc({"Effect": "Allow", "Action": ["s3:*"],
                                        "Resource": "*"})]))
    hits = [t for t in traits if t.id == "service-admin-policy"]
    assert len(hits) == 1
    assert hits[0].impact is Level.MEDIUM
    assert dict(hits[0].extra)["services"] == ("s3",)
    assert "administrative-policy" not in ids(traits)


@pytest.mark.parametrize("statement", [
    {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::bucket/*"},
    {"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"},
    {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"Bool": {"x": "y"}}},
    {"Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": "*"},
])
def test_near_misses_are_not_admin(statement: dict[str, Any]) -> None:
    found = ids(_traits(_iam(inline=[_doc(statement)])))
    assert "administrative-policy" not in found
    assert "service-admin-policy" not in found


def test_not_action_allow_on_everything_is_admin() -> None:
    doc = _doc({"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"})
    admin = [t for t in _traits(_iam(inline=[doc])) if t.id == "administrative-policy"]
    assert "every action except iam:*, organizations:*" in admin[0].detail


def test_unconditional_deny_everything_cancels_allows() -> None:
    traits = _traits(_iam(
        inline=[_doc({"Effect": "Deny", "Action": "*", "Resource": "*"})],
        attached=["arn:aws:iam::aws:policy/AdministratorAccess"]))
    assert "administrative-policy" not in ids(traits)


def test_condition_is_reported_not_dropped() -> None:
    doc = _doc({"Effect": "Allow", "Action": "*", "Resource": "*",
                "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}})
    admin = [t for t in _traits(_iam(inline=[doc])) if t.id == "administrative-policy"]
    assert "Condition" in admin[0].detail


def test_customer_managed_policy_uses_default_version() -> None:
    arn = f"arn:aws:iam::{ACCOUNT}:policy/app"
    policy = {"PolicyName": "app", "Arn": arn, "DefaultVersionId": "v2", "PolicyVersionList": [
        {"VersionId": "v1", "IsDefaultVersion": False,
         "Document": _doc({"Effect": "Allow", "Action": "*", "Resource": "*"})},
        {"VersionId": "v2", "IsDefaultVersion": True,
         "Document": _doc({"Effect": "Allow", "Action": "kms:*", "Resource": "*"})},
    ]}
    traits = _traits(_iam(attached=[arn], policies=[policy]))
    assert "administrative-policy" not in ids(traits)
    hit = next(t for t in traits if t.id == "service-admin-policy")
    assert hit.resource == arn
    assert hit.pointer == "/PolicyVersionList/1/Document/Statement/0"


def test_execution_role_is_evaluated_and_shared_role_once() -> None:
    iam = _iam(attached=["arn:aws:iam::aws:policy/AdministratorAccess"])
    only_exec = td_traits(task_definition(executionRoleArn=ROLE_ARN), iam)
    assert "administrative-policy" in ids(only_exec)
    assert "assumable-role" not in ids(only_exec)
    both = _traits(iam, executionRoleArn=ROLE_ARN)
    admin = [t for t in both if t.id == "administrative-policy"]
    assert len(admin) == 1
    assert "task role and execution role" in admin[0].detail


def test_role_referenced_by_name_resolves() -> None:
    traits = td_traits(task_definition(taskRoleArn="app-task"),
                       _iam(attached=["arn:aws:iam::aws:policy/AdministratorAccess"]))
    assert "administrative-policy" in ids(traits)


def test_analyse_document_tolerates_garbage() -> None:
    assert analyse_document(None) == []
    assert analyse_document({"Statement": "x"}) == []
    assert analyse_document({"Statement": [1, {"Effect": "Allow"}]}) == []


# ---- built on the effective-permission evaluator ------------------------------------------

def test_aws_managed_service_admin_from_the_bundled_copy() -> None:
    traits = _traits(_iam(attached=["arn:aws:iam::aws:policy/AmazonS3FullAccess"]))
    hit = next(t for t in traits if t.id == "service-admin-policy")
    assert hit.pointer == "/AttachedManagedPolicies/0" and hit.resource == ROLE_ARN
    assert dict(hit.extra)["services"] == ("s3", "s3-object-lambda")
    assert "bundled copy of v2" in hit.detail


def test_kms_power_user_is_not_kms_admin() -> None:
    # The bundled document grants kms:Create*/Describe*/Get*/List*, not kms:* (nor Decrypt).
    traits = _traits(_iam(attached=["arn:aws:iam::aws:policy/AWSKeyManagementServicePowerUser"]))
    assert "service-admin-policy" not in ids(traits)


def _bounded(boundary_doc: dict[str, Any]) -> list[Any]:
    iam = _iam(attached=["arn:aws:iam::aws:policy/AdministratorAccess"], policies=[{
        "PolicyName": "boundary", "Arn": f"arn:aws:iam::{ACCOUNT}:policy/boundary",
        "DefaultVersionId": "v1", "PolicyVersionList": [
            {"VersionId": "v1", "IsDefaultVersion": True, "Document": boundary_doc}]}])
    iam["RoleDetailList"][0]["PermissionsBoundary"] = {
        "PermissionsBoundaryType": "Policy",
        "PermissionsBoundaryArn": f"arn:aws:iam::{ACCOUNT}:policy/boundary"}
    return _traits(iam)


def test_permissions_boundary_limits_administrator_access() -> None:
    traits = _bounded(_doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}))
    assert "administrative-policy" not in ids(traits)
    hit = next(t for t in traits if t.id == "service-admin-policy")
    assert "limited by permissions boundary boundary to s3:*" in hit.detail
    narrow = _bounded(_doc({"Effect": "Allow", "Action": "s3:GetObject",
                            "Resource": "arn:aws:s3:::b/*"}))
    iam_traits = [t for t in narrow if t.id in ("assumable-role", "administrative-policy",
                                                 "service-admin-policy",
                                                 "privilege-escalation-path")]
    assert ids(iam_traits) == ["assumable-role"]   # no admin, no path: the boundary caps both
    assert "allows 1 Read actions" in iam_traits[0].detail


def test_escalation_trait_names_pattern_and_statements() -> None:
    doc = _doc({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"},
               {"Effect": "Allow", "Action": "iam:Put*Policy", "Resource": "*"})
    traits = _traits(_iam(inline=[doc]))
    hit = next(t for t in traits if t.id == "privilege-escalation-path")
    assert hit.resource == ROLE_ARN
    assert hit.pointer == "/RolePolicyList/0/PolicyDocument/Statement/1"
    assert hit.file_pointer == "/RoleDetailList/0/RolePolicyList/0/PolicyDocument/Statement/1"
    assert hit.impact is Level.HIGH and hit.container is None
    facts = dict(hit.extra)
    assert facts["pattern"] == "put-own-role-policy" and facts["outcome"] == "admin"
    assert facts["steps"][0]["action"] == "iam:PutRolePolicy"   # expanded from iam:Put*Policy
    assert facts["reference"].startswith("https://")
    assert "iam:PutRolePolicy (inline policy p0 /Statement/1)" in hit.detail


def test_assumable_role_summarises_effective_access() -> None:
    doc = _doc({"Effect": "Allow", "Action": ["sqs:SendMessage", "sqs:ReceiveMessage"],
                "Resource": "arn:aws:sqs:us-east-1:1:q"})
    traits = _traits(_iam(inline=[doc], attached=[f"arn:aws:iam::{ACCOUNT}:policy/missing"]))
    hit = next(t for t in traits if t.id == "assumable-role")
    assert "allows 1 Read and 1 Write actions" in hit.detail
    assert f"not in the inputs: arn:aws:iam::{ACCOUNT}:policy/missing" in hit.detail
    assert dict(hit.extra)["access_levels"] == {"Read": 1, "Write": 1}


def test_partial_deny_is_named_on_the_admin_grant() -> None:
    doc = _doc({"Effect": "Allow", "Action": "*", "Resource": "*"},
               {"Effect": "Deny", "Action": "iam:*", "Resource": "*"})
    admin = next(t for t in _traits(_iam(inline=[doc])) if t.id == "administrative-policy")
    assert admin.detail.endswith("(less what inline policy p0 /Statement/1 denies)")


ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/app"


@pytest.mark.parametrize("task_role,execution_role,shared", [
    (ROLE_ARN, ROLE_ARN, True),
    ("app", ROLE_ARN, True),
    (ROLE_ARN, "app", True),
    (ROLE_ARN, f"arn:aws:iam::{ACCOUNT}:role/app-exec", False),
    (ROLE_ARN, "arn:aws:iam::999999999999:role/app", False),
    (ROLE_ARN, None, False),
    (None, ROLE_ARN, False),
])
def test_execution_role_is_task_role(task_role: str | None, execution_role: str | None,
                                     shared: bool) -> None:
    td = task_definition(taskRoleArn=task_role, executionRoleArn=execution_role)
    hits = [t for t in td_traits(td) if t.id == "execution-role-is-task-role"]
    assert bool(hits) is shared
    if hits:
        assert hits[0].pointer == "/executionRoleArn"
        assert "both the execution role and the task role" in hits[0].detail
