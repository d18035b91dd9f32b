"""IAM paths in the exposure: impact, why, title, attack path and the fix summary."""

from __future__ import annotations

from typing import Any

from ecs_exposure.model import Level, Severity
from support.builders import ACCOUNT, scan_docs, service, task_definition
from support.iam_helpers import allow, arn, role, trust

TASK_ROLE = arn("role", "deployer-task")


def _iam(*statements: dict[str, Any], extra: tuple[dict[str, Any], ...] = ()) -> dict[str, Any]:
    return {"RoleDetailList": [role("deployer-task", *statements), *extra], "Policies": []}


def _scan(*statements: dict[str, Any], exec_enabled: bool = False,
          extra: tuple[dict[str, Any], ...] = ()) -> Any:
    result = scan_docs({"taskDefinition": task_definition(taskRoleArn=TASK_ROLE)},
                       {"services": [service("deployer", enableExecuteCommand=exec_enabled)]},
                       _iam(*statements, extra=extra))
    assert len(result.findings) == 1
    return result.findings[0]


PASS_ROLE_LAMBDA = (allow("iam:PassRole", arn("role", "*")),
                    allow(["lambda:CreateFunction", "lambda:InvokeFunction"]))


def test_a_path_to_admin_counts_as_admin() -> None:
    finding = _scan(*PASS_ROLE_LAMBDA)
    assert (finding.likelihood, finding.impact, finding.severity) == (
        Level.LOW, Level.HIGH, Severity.MEDIUM)
    assert ("role deployer-task can escalate to administrator access through iam:PassRole + "
            "lambda:CreateFunction + lambda:InvokeFunction") in finding.why
    assert finding.title == "ECS service deployer with an IAM privilege-escalation path"


def test_attack_path_ends_with_the_escalation_steps() -> None:
    finding = _scan(*PASS_ROLE_LAMBDA)
    assert list(finding.attack_path[-5:]) == [
        "IAM role deployer-task",
        "iam:PassRole + lambda:CreateFunction + lambda:InvokeFunction (passes a role to a new "
        "Lambda function and runs it)",
        "any role that trusts lambda.amazonaws.com", "administrator access",
        f"AWS account {ACCOUNT}"]


def test_attack_path_shows_the_strongest_path_and_counts_the_others() -> None:
    finding = _scan(*PASS_ROLE_LAMBDA, allow("s3:GetObject"), allow("cloudtrail:StopLogging"))
    steps = list(finding.attack_path)
    first = next(s for s in steps if s.startswith("iam:PassRole"))
    assert first.endswith("; 1 more escalation path)")  # reading S3 is not one
    assert steps[steps.index(first) + 2] == "administrator access"


def test_data_access_is_medium_and_titled_as_data() -> None:
    finding = _scan(allow("s3:GetObject"))
    assert finding.impact is Level.MEDIUM
    assert finding.title == "ECS service deployer with an IAM role that can read sensitive data"
    assert ("task role deployer-task can read every S3 object through s3:GetObject (inline "
            "policy inline /Statement/0)") in finding.why
    assert list(finding.attack_path[-4:]) == [
        "IAM role deployer-task", "s3:GetObject (reads every object in every S3 bucket)",
        "every S3 object", f"AWS account {ACCOUNT}"]


def test_s3_read_all_role_is_sensitive_data_access_not_escalation() -> None:
    """Issue 15, bug 4, at the exposure level: one finding, of low severity for a service
    with no path from the internet (low likelihood × medium impact), labelled as data."""
    finding = _scan(allow("s3:GetObject", "arn:aws:s3:::*/*"))
    trait_ids = {t.id for t in finding.traits}
    assert "sensitive-data-access" in trait_ids
    assert "privilege-escalation-path" not in trait_ids
    assert (finding.likelihood, finding.impact, finding.severity) == (
        Level.LOW, Level.MEDIUM, Severity.LOW)
    assert "escalat" not in finding.why + finding.title


def test_denied_iam_writes_make_no_finding() -> None:
    result = scan_docs({"taskDefinition": task_definition(taskRoleArn=TASK_ROLE)},
                       {"services": [service("deployer")]},
                       _iam(allow(["iam:PutRolePolicy", "iam:AttachRolePolicy"], TASK_ROLE),
                            {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}))
    assert result.findings == ()


def test_several_kinds_end_the_attack_path_together() -> None:
    finding = _scan(allow(["s3:GetObject", "kms:Decrypt"]))
    assert list(finding.attack_path[-3:]) == [
        "s3:GetObject + kms:Decrypt (reads every object in every S3 bucket; decrypts with any "
        "KMS key whose key policy defers to IAM)",
        "every S3 object, data encrypted under any KMS key", f"AWS account {ACCOUNT}"]


def test_an_escalation_path_outranks_data_access_on_the_attack_path() -> None:
    finding = _scan(*PASS_ROLE_LAMBDA, allow("secretsmanager:GetSecretValue"))
    assert finding.attack_path[-2] == "administrator access"
    assert not any("Secrets Manager" in step for step in finding.attack_path)


def test_reading_every_secret_is_high() -> None:
    finding = _scan(allow("secretsmanager:GetSecretValue"))
    assert finding.impact is Level.HIGH
    assert {t.id for t in finding.traits} >= {"sensitive-data-access"}


def test_ecs_exec_raises_data_access_one_step() -> None:
    finding = _scan(allow("s3:GetObject"), exec_enabled=True)
    assert finding.impact is Level.HIGH
    assert "ECS Exec is enabled" in finding.why


def test_remediation_summary_names_the_reading_role() -> None:
    finding = _scan(allow("s3:GetObject"))
    assert "Close the escalation paths" not in finding.remediation_summary
    assert ("Replace the broad policies of role deployer-task with least-privilege policies"
            in finding.remediation_summary)


def test_ecs_exec_raises_a_medium_path_one_step() -> None:
    finding = _scan(allow("cloudtrail:StopLogging"), exec_enabled=True)
    assert finding.impact is Level.HIGH
    assert "ECS Exec is enabled" in finding.why


def test_conditional_path_says_so() -> None:
    finding = _scan(allow("iam:PutRolePolicy", TASK_ROLE,
                          Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))
    assert finding.impact is Level.HIGH
    assert "(only under a condition)" in finding.why
    assert any("only under a condition" in step for step in finding.attack_path)


def test_remediation_summary_names_the_role_and_the_patterns() -> None:
    finding = _scan(*PASS_ROLE_LAMBDA)
    assert ("Close the escalation paths of role deployer-task (pass-role-lambda)"
            in finding.remediation_summary)
    assert "iam:PassedToService" in finding.remediation_summary


def test_execution_role_gets_no_escalation_trait() -> None:
    other = role("exec-role", *PASS_ROLE_LAMBDA, trusts=trust("ecs-tasks.amazonaws.com"))
    result = scan_docs(
        {"taskDefinition": task_definition(executionRoleArn=arn("role", "exec-role"))},
        {"services": [service("deployer")]}, _iam(extra=(other,)))
    assert result.findings == ()
