"""``sensitive-data-access``: a task role that reads every object, secret, parameter or table."""

from __future__ import annotations

from typing import Any

import pytest

from ecs_exposure.detectors.registry import SPECS
from ecs_exposure.model import Level, Trait
from support.builders import ACCOUNT, REGION, ids, task_definition, td_traits
from support.iam_helpers import ROLE_ARN, allow, deny, role

DATA = "sensitive-data-access"
ESCALATION = "privilege-escalation-path"


def _traits(*statements: dict[str, Any], field: str = "taskRoleArn") -> list[Trait]:
    iam = {"RoleDetailList": [role("app-task", *statements)], "Policies": [],
           "UserDetailList": [], "GroupDetailList": []}
    return td_traits(task_definition(**{field: ROLE_ARN}), iam)


def _data(traits: list[Trait]) -> list[Trait]:
    return [t for t in traits if t.id == DATA]


def test_spec_is_impact_and_creates_findings() -> None:
    spec = SPECS[DATA]
    assert (spec.category, spec.contextual) == ("impact", False)
    assert spec.title_phrase == "an IAM role that can read sensitive data"
    assert spec.ocsf_impact == "Data Access"


def test_reading_every_s3_object_is_data_access_not_escalation() -> None:
    """Issue 15, bug 4: the S3-read-all role was reported as ``privilege-escalation-path``."""
    traits = _traits(allow("s3:GetObject", "arn:aws:s3:::*/*"))
    assert ESCALATION not in ids(traits)
    [trait] = _data(traits)
    assert trait.impact is Level.MEDIUM
    assert trait.pointer == "/RolePolicyList/0/PolicyDocument/Statement/0"
    assert trait.resource == ROLE_ARN
    assert trait.detail == ("task role app-task can read every S3 object through s3:GetObject "
                            "(inline policy inline /Statement/0)")
    facts = dict(trait.extra)
    assert facts["kinds"] == ["s3-objects"] and facts["actions"] == ["s3:GetObject"]
    assert facts["access"][0]["statements"] == [{
        "policy": "inline policy inline", "resource": ROLE_ARN,
        "pointer": "/RolePolicyList/0/PolicyDocument/Statement/0"}]


def test_denied_iam_writes_get_no_label_at_all() -> None:
    """``iam:PutRolePolicy``/``iam:AttachRolePolicy`` under ``Deny iam:*``: neither an
    escalation nor data access: of the IAM traits only the contextual ``assumable-role``."""
    traits = _traits(allow(["iam:PutRolePolicy", "iam:AttachRolePolicy"], ROLE_ARN),
                     deny("iam:*"))
    assert [t.id for t in traits if SPECS[t.id].category == "impact"] == ["assumable-role"]


@pytest.mark.parametrize("statement,kind,impact", [
    (allow("secretsmanager:GetSecretValue"), "secrets", Level.HIGH),
    (allow("s3:GetObject"), "s3-objects", Level.MEDIUM),
    (allow("ssm:GetParameters", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/*"),
     "ssm-parameters", Level.MEDIUM),
    (allow("dynamodb:Scan", f"arn:aws:dynamodb:*:{ACCOUNT}:table/*"), "dynamodb-tables",
     Level.MEDIUM),
    (allow("kms:Decrypt"), "kms-decrypt", Level.MEDIUM),
])
def test_each_kind_fires_with_its_impact(statement: dict[str, Any], kind: str,
                                         impact: Level) -> None:
    traits = _traits(statement)
    assert ESCALATION not in ids(traits)
    [trait] = _data(traits)
    assert dict(trait.extra)["kinds"] == [kind]
    assert trait.impact is impact


def test_one_statement_is_one_trait_naming_every_kind_and_the_highest_impact() -> None:
    [trait] = _data(_traits(allow(["s3:GetObject", "secretsmanager:GetSecretValue"])))
    assert dict(trait.extra)["kinds"] == ["secrets", "s3-objects"]
    assert trait.impact is Level.HIGH
    assert "every secret in Secrets Manager and every S3 object" in trait.detail


def test_separate_statements_are_separate_traits() -> None:
    traits = _data(_traits(allow("s3:GetObject"), allow("kms:Decrypt")))
    assert [t.pointer for t in traits] == ["/RolePolicyList/0/PolicyDocument/Statement/0",
                                           "/RolePolicyList/0/PolicyDocument/Statement/1"]


def test_conditional_grant_says_so() -> None:
    [trait] = _data(_traits(allow("s3:GetObject", Condition={
        "StringEquals": {"aws:SourceVpc": "vpc-1"}})))
    facts = dict(trait.extra)
    assert facts["conditional"] is True
    assert "[conditional: only under a Condition (StringEquals aws:SourceVpc)" in trait.detail


def test_execution_role_is_not_checked() -> None:
    """Its credentials stay with the ECS agent, as for escalation paths."""
    assert _data(_traits(allow("secretsmanager:GetSecretValue"), field="executionRoleArn")) == []


def test_administrative_role_is_administrative_only() -> None:
    traits = _traits(allow("*"))
    assert "administrative-policy" in ids(traits)
    assert _data(traits) == []


def test_service_admin_s3_also_reads_every_object() -> None:
    assert {"service-admin-policy", DATA} <= set(ids(_traits(allow("s3:*"))))
