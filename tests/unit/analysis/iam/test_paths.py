"""Escalation and impact patterns: a role per pattern, and the near-misses that must not fire."""

from __future__ import annotations

from typing import Any

import pytest

from ecs_exposure.analysis.iam.patterns import PATTERNS
from ecs_exposure.model import Level
from support import ROOT
from support.builders import ACCOUNT, CLUSTER_ARN, REGION, service, task_definition
from support.iam_helpers import (
    ROLE_ARN,
    allow,
    analyse,
    arn,
    deny,
    doc,
    patterns,
    policy,
    role,
    trust,
)

ROLES = arn("role", "*")
FUNCTIONS = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:report-*"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"

# pattern id → statements of a role that can carry it out (and nothing stronger)
CASES: dict[str, tuple[dict[str, Any], ...]] = {
    "put-own-role-policy": (allow("iam:PutRolePolicy", ROLE_ARN),),
    "attach-own-role-policy": (allow("iam:AttachRolePolicy", arn("role", "app-*")),),
    "pass-role-lambda": (allow("iam:PassRole", ROLES),
                         allow(["lambda:CreateFunction", "lambda:InvokeFunction"], FUNCTIONS)),
    "pass-role-ec2": (allow("iam:PassRole", ROLES), allow("ec2:RunInstances")),
    "pass-role-ecs": (allow("iam:PassRole", ROLES), allow("ecs:RunTask")),
    "pass-role-glue-dev-endpoint": (allow("iam:PassRole", ROLES), allow("glue:CreateDevEndpoint")),
    "pass-role-glue-job": (allow("iam:PassRole", ROLES),
                           allow(["glue:CreateJob", "glue:StartJobRun"])),
    "pass-role-cloudformation": (allow("iam:PassRole", ROLES),
                                 allow("cloudformation:CreateStack")),
    "pass-role-codebuild": (allow("iam:PassRole", ROLES),
                            allow(["codebuild:CreateProject", "codebuild:StartBuild"])),
    "pass-role-sagemaker": (allow("iam:PassRole", ROLES), allow("sagemaker:CreateTrainingJob")),
    "swap-role-ecs-service": (allow("iam:PassRole", ROLES),
                              allow(["ecs:RegisterTaskDefinition", "ecs:UpdateService"])),
    "swap-role-lambda": (allow("iam:PassRole", ROLES),
                         allow("lambda:UpdateFunctionConfiguration", FUNCTIONS)),
    "swap-role-ec2-instance-profile": (allow("iam:PassRole", ROLES),
                                       allow("ec2:ReplaceIamInstanceProfileAssociation")),
    "swap-role-cloudformation-stack": (allow("iam:PassRole", ROLES),
                                       allow("cloudformation:UpdateStack")),
    "inject-lambda-code": (allow("lambda:UpdateFunctionCode",
                                 f"arn:aws:lambda:*:{ACCOUNT}:function:*"),),
    "trust-policy-hijack": (allow("iam:UpdateAssumeRolePolicy", ROLES),),
    "mint-user-credentials": (allow("iam:CreateAccessKey", arn("user", "*")),),
    "assume-privileged-role": (allow("sts:AssumeRole"),),
    "stop-audit-trail": (allow("cloudtrail:StopLogging"),),
    "disable-threat-detection": (allow("guardduty:DeleteDetector"),),
    "ecs-exec-other-tasks": (allow("ecs:ExecuteCommand"),),
}
ENVIRONMENT = {  # patterns that need something else in the inputs
    "create-policy-version", "set-default-policy-version", "remove-own-boundary"}


def test_every_pattern_has_a_case() -> None:
    assert set(CASES) | ENVIRONMENT == {p.id for p in PATTERNS}


@pytest.mark.parametrize("pattern_id", sorted(CASES))
def test_each_pattern_is_detected_with_its_statements(pattern_id: str) -> None:
    statements = CASES[pattern_id]
    found = patterns(analyse(*statements))
    assert pattern_id in found
    path = found[pattern_id]
    assert not path.conditional
    pattern = path.pattern
    assert path.impact == pattern.impact
    for step, result in zip(pattern.steps, path.steps, strict=True):
        assert result.action in step.actions
        index = next(i for i, s in enumerate(statements)
                     if result.action in s["Action"] or s["Action"] == result.action)
        assert result.decision.grants[0].pointer == \
            f"/RolePolicyList/0/PolicyDocument/Statement/{index}"
        assert result.decision.grants[0].source.resource == ROLE_ARN


def test_admin_outcomes_are_high_audit_medium() -> None:
    impact = {p.id: p.impact for p in PATTERNS}
    assert all(impact[p.id] is Level.HIGH for p in PATTERNS if p.outcome == "admin")
    assert impact["stop-audit-trail"] is impact["disable-threat-detection"] is Level.MEDIUM


@pytest.mark.parametrize("statement", [
    allow("s3:GetObject", "arn:aws:s3:::*/*"), allow("secretsmanager:GetSecretValue"),
    allow("ssm:GetParametersByPath"), allow("kms:Decrypt"), allow("dynamodb:Scan"),
    allow("s3:*")])
def test_reading_data_is_no_escalation_path(statement: dict[str, Any]) -> None:
    """Reading every object, secret or parameter raises no privilege (issue 15, bug 4): it is
    data access, reported apart (``analysis.data``), never as an escalation pattern."""
    analysis = analyse(statement)
    assert patterns(analysis) == {}
    assert analysis.data


def test_create_policy_version_on_an_attached_customer_policy() -> None:
    attached = arn("policy", "app-policy")
    found = patterns(analyse(
        allow("iam:CreatePolicyVersion", attached), attached=(attached,),
        policies=(policy("app-policy", doc(allow("iam:CreatePolicyVersion", attached))),)))
    assert found["create-policy-version"].reaches.startswith("policy app-policy attached to it")


def test_create_policy_version_needs_a_customer_policy_attached() -> None:
    found = patterns(analyse(allow("iam:CreatePolicyVersion")))
    assert "create-policy-version" not in found


def test_set_default_policy_version_to_an_administrative_old_version() -> None:
    attached = arn("policy", "app-policy")
    versions = (doc(allow("*")), doc(allow("iam:SetDefaultPolicyVersion", attached)))
    found = patterns(analyse(attached=(attached,), policies=(policy("app-policy", *versions),)))
    path = found["set-default-policy-version"]
    assert not path.conditional
    assert "version v1 is administrative" in path.reaches
    assert path.steps[0].decision.grants[0].pointer == "/PolicyVersionList/1/Document/Statement/0"
    assert path.steps[0].decision.grants[0].source.resource == attached


def test_set_default_policy_version_with_only_narrow_versions_is_no_path() -> None:
    attached = arn("policy", "app-policy")
    versions = (doc(allow("s3:ListBucket")), doc(allow("iam:SetDefaultPolicyVersion", attached)))
    found = patterns(analyse(attached=(attached,), policies=(policy("app-policy", *versions),)))
    assert "set-default-policy-version" not in found


def test_set_default_policy_version_with_unknown_versions_is_conditional() -> None:
    attached = arn("policy", "not-exported")
    found = patterns(analyse(allow("iam:SetDefaultPolicyVersion"), attached=(attached,)))
    assert found["set-default-policy-version"].conditional


def test_removing_a_boundary_that_hides_administrator_access() -> None:
    boundary = arn("policy", "boundary")
    found = patterns(analyse(
        attached=(ADMIN,), boundary=boundary,
        policies=(policy("boundary", doc(allow(["s3:GetObject",
                                                "iam:DeleteRolePermissionsBoundary"]))),)))
    path = found["remove-own-boundary"]
    assert path.impact is Level.HIGH
    assert "administrative" in path.reaches
    assert path.steps[0].decision.boundary[0].source.label == "permissions boundary boundary"


def test_administrative_roles_have_no_separate_paths() -> None:
    assert analyse(attached=(ADMIN,)).paths == ()


# ---- near-misses ------------------------------------------------------------------------

def test_deny_overrides_the_allow() -> None:
    found = patterns(analyse(*CASES["pass-role-lambda"], deny("iam:PassRole")))
    assert "pass-role-lambda" not in found


def test_deny_not_action_with_a_narrow_list_denies_everything_else() -> None:
    found = patterns(analyse(allow(["iam:PassRole", "lambda:*", "iam:PutRolePolicy"]),
                             {"Effect": "Deny", "NotAction": ["lambda:InvokeFunction"],
                              "Resource": "*"}))
    assert found == {}


def test_allow_not_action_on_a_narrow_resource_does_not_reach_roles() -> None:
    found = patterns(analyse({"Effect": "Allow", "NotAction": ["s3:DeleteBucket"],
                              "Resource": "arn:aws:s3:::reports/*"}))
    assert found == {}


@pytest.mark.parametrize("resource", [arn("role", "other-role"), arn("role", "app-task-*"),
                                      arn("role", "App-Task")])
def test_grants_on_other_roles_do_not_apply_to_itself(resource: str) -> None:
    found = patterns(analyse(allow(["iam:PutRolePolicy", "iam:AttachRolePolicy"], resource)))
    assert "put-own-role-policy" not in found and "attach-own-role-policy" not in found


def test_pass_role_limited_to_a_narrow_role_is_no_path() -> None:
    renderer = role("renderer", allow("s3:GetObject", "arn:aws:s3:::reports/*"),
                    trusts=trust("lambda.amazonaws.com"))
    found = patterns(analyse(allow("iam:PassRole", arn("role", "renderer")),
                             allow(["lambda:CreateFunction", "lambda:InvokeFunction"]),
                             others=(renderer,)))
    assert "pass-role-lambda" not in found


def test_pass_role_to_an_admin_role_that_trusts_the_service() -> None:
    ops = role("ops", attached=(ADMIN,), trusts=trust("lambda.amazonaws.com"))
    found = patterns(analyse(allow("iam:PassRole", arn("role", "ops")),
                             allow(["lambda:CreateFunction", "lambda:InvokeFunction"]),
                             others=(ops,)))
    assert found["pass-role-lambda"].reaches == "role ops (administrative) → administrator access"


def test_pass_role_to_an_admin_role_that_trusts_another_service_is_no_path() -> None:
    ops = role("ops", attached=(ADMIN,), trusts=trust("ec2.amazonaws.com"))
    found = patterns(analyse(allow("iam:PassRole", arn("role", "ops")),
                             allow(["lambda:CreateFunction", "lambda:InvokeFunction"]),
                             others=(ops,)))
    assert "pass-role-lambda" not in found


def test_passed_to_service_condition_is_evaluated() -> None:
    only_ecs = allow("iam:PassRole", ROLES, Condition={
        "StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}})
    found = patterns(analyse(only_ecs, allow(["lambda:CreateFunction", "lambda:InvokeFunction",
                                              "ecs:RunTask"])))
    assert "pass-role-lambda" not in found
    assert not found["pass-role-ecs"].conditional


def test_lambda_needs_a_way_to_run_the_function() -> None:
    found = patterns(analyse(allow("iam:PassRole", ROLES), allow("lambda:CreateFunction")))
    assert "pass-role-lambda" not in found


def test_unknown_condition_makes_the_path_conditional_not_dropped() -> None:
    found = patterns(analyse(allow("iam:PutRolePolicy", ROLE_ARN, Condition={
        "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})))
    path = found["put-own-role-policy"]
    assert path.conditional
    assert any("IpAddress aws:SourceIp" in note for note in path.notes)


def test_conditional_deny_makes_the_path_conditional() -> None:
    found = patterns(analyse(allow("iam:PutRolePolicy", ROLE_ARN), deny(
        "iam:*", Condition={"Bool": {"aws:MultiFactorAuthPresent": "false"}})))
    assert found["put-own-role-policy"].conditional


def test_policy_variables_make_the_path_conditional() -> None:
    found = patterns(analyse(allow("iam:PutRolePolicy", arn("role", "${aws:PrincipalTag/team}-*"))))
    assert found["put-own-role-policy"].conditional


def test_scoped_data_access_is_no_path() -> None:
    found = patterns(analyse(
        allow("s3:GetObject", "arn:aws:s3:::reports/*"),
        allow("secretsmanager:GetSecretValue",
              f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:app/*"),
        allow("kms:Decrypt", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234"),
        allow("cloudtrail:StopLogging", f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/dev")))
    assert found == {}


def test_partial_deny_keeps_the_path_and_says_what_is_excluded() -> None:
    found = patterns(analyse(allow("cloudtrail:StopLogging"), deny(
        "cloudtrail:StopLogging", f"arn:aws:cloudtrail:*:{ACCOUNT}:trail/prod-*")))
    assert any("except the resources denied" in n for n in found["stop-audit-trail"].notes)


def test_assume_role_on_an_admin_role_that_trusts_the_account() -> None:
    ops = role("ops", attached=(ADMIN,), trusts=trust(aws=f"arn:aws:iam::{ACCOUNT}:root"))
    found = patterns(analyse(allow("sts:AssumeRole", arn("role", "ops")), others=(ops,)))
    assert found["assume-privileged-role"].reaches.startswith("role ops (administrative)")


def test_assume_role_on_an_admin_role_that_does_not_trust_it_is_no_path() -> None:
    ops = role("ops", attached=(ADMIN,), trusts=trust("ec2.amazonaws.com"))
    found = patterns(analyse(allow("sts:AssumeRole", arn("role", "ops")), others=(ops,)))
    assert "assume-privileged-role" not in found


def test_assume_role_on_a_narrow_role_is_no_path() -> None:
    narrow = role("narrow", allow("s3:ListBucket"), trusts=trust(aws=ROLE_ARN))
    found = patterns(analyse(allow("sts:AssumeRole", arn("role", "narrow")), others=(narrow,)))
    assert "assume-privileged-role" not in found


def _exec_estate(admin: bool) -> tuple[Any, ...]:
    other_role = role("ops-task", attached=(ADMIN,) if admin else ())
    td = task_definition("ops", taskRoleArn=arn("role", "ops-task"))
    svc = service("ops", "ops", enableExecuteCommand=True)
    return (other_role,), ({"taskDefinition": td}, {"services": [svc]})


def test_ecs_exec_into_a_service_running_an_admin_role_is_high() -> None:
    others, more = _exec_estate(admin=True)
    found = patterns(analyse(allow("ecs:ExecuteCommand", CLUSTER_ARN), others=others, more=more))
    path = found["ecs-exec-other-tasks"]
    assert path.impact is Level.HIGH
    assert "tasks of service ops (role ops-task, administrative)" in path.reaches


def test_ecs_exec_anywhere_without_admin_targets_is_medium() -> None:
    others, more = _exec_estate(admin=False)
    found = patterns(analyse(allow("ecs:ExecuteCommand"), others=others, more=more))
    assert found["ecs-exec-other-tasks"].impact is Level.MEDIUM


def test_ecs_exec_scoped_to_another_cluster_is_no_path() -> None:
    others, more = _exec_estate(admin=True)
    found = patterns(analyse(allow("ecs:ExecuteCommand", CLUSTER_ARN.replace("prod", "dev")),
                             others=others, more=more))
    assert "ecs-exec-other-tasks" not in found


# ---- AWS-managed policies known only by ARN ----------------------------------------------

def test_lambda_full_access_passes_roles_to_lambda() -> None:
    found = patterns(analyse(attached=("arn:aws:iam::aws:policy/AWSLambda_FullAccess",)))
    path = found["pass-role-lambda"]
    assert not path.conditional  # iam:PassedToService = lambda.amazonaws.com holds
    assert path.steps[0].decision.grants[0].pointer == "/AttachedManagedPolicies/0"
    assert "bundled copy" in path.steps[0].decision.grants[0].describe()


def test_dynamodb_full_access_cannot_pass_roles_to_lambda() -> None:
    found = patterns(analyse(attached=("arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess",)))
    assert "pass-role-lambda" not in found


def test_ecs_full_access_passes_roles_to_tasks_but_not_instances() -> None:
    found = patterns(analyse(attached=("arn:aws:iam::aws:policy/AmazonECS_FullAccess",)))
    assert "pass-role-ecs" in found and "pass-role-ec2" not in found


def test_readme_lists_every_pattern_with_its_reference() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    for pattern in PATTERNS:
        row = next((line for line in readme.splitlines()
                    if line.startswith(f"| `{pattern.id}` |")), None)
        assert row is not None, pattern.id
        impact = row.split(" | ")[2]
        assert impact == ("high" if pattern.impact is Level.HIGH else "medium"), pattern.id
        label = row.rsplit("[", 1)[-1].split("]", 1)[0]
        assert f"[{label}]: {pattern.reference}" in readme, pattern.id


def test_hostile_and_malformed_iam_inputs_do_not_crash() -> None:
    weird = [
        {"Effect": "Allow", "Action": {"iam": "PassRole"}, "Resource": "*"},
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*", "Condition": ["x"]},
        {"Effect": "Allow", "Action": "sts:AssumeRole",
         "Resource": "arn:aws:iam::*:role/" + "*" * 5000},
        {"Effect": "Allow", "Action": "s3:GetObject",
         "Resource": "arn:aws:s3:::" + "*a" * 300 + "${aws:username}${"},
        {"Effect": "Deny", "NotAction": [], "Resource": "*"},
    ]
    ops = role("ops\x1b[31m", attached=(ADMIN,))
    ops["AssumeRolePolicyDocument"] = "%7Bnot json"
    odd = role("odd", trusts={"Statement": {"Effect": "Allow", "Principal": ["*"],
                                            "Action": 7}})
    odd["PermissionsBoundary"] = {"PermissionsBoundaryArn": 12}
    analysis = analyse(*weird, others=(ops, odd), boundary="not-an-arn")
    found = patterns(analysis)
    assert found["assume-privileged-role"].conditional is False
    assert analysis.policies.unknown == ("not-an-arn",)


def test_aws_username_variable_matches_nothing_for_a_role() -> None:
    found = patterns(analyse(allow(["iam:CreateAccessKey", "iam:UpdateLoginProfile"],
                                   arn("user", "${aws:username}"))))
    assert found == {}
