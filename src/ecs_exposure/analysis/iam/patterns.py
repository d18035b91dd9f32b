"""Escalation and impact patterns, as data: what a task role's credentials can be turned into.

Each pattern is a named chain of steps; every step is "one of these actions on this kind of
resource", and all steps must be allowed. Adding a pattern means adding an entry here (the
tests check every action against the catalog and every entry for a reference). Targets:

- ``self``: the role's own ARN (``iam:PutRolePolicy`` on itself);
- ``any``: every resource of the action's types (``cloudtrail:StopLogging`` on every trail);
- ``some``: at least one resource (a function named ``report-*`` serves an attacker fine);
- ``role``: a role worth having — any role (the grant covers every role name), or a role in
  the inputs that is administrative (and, for ``passed_to``, trusts that service; for
  ``sts:AssumeRole``, trusts this role or its account);
- ``policy``: a customer-managed policy attached to the role, or any policy;
- ``user``: any IAM user (administrators included);
- ``exec``: tasks of other services with ECS Exec enabled, or any task.

Impact (DESIGN §4): a path to admin counts as admin (high). Audit tampering is medium: it grants
no access by itself but hides every other step. Moving into other workloads (ECS Exec, Lambda
code) is medium, high when the inputs show an administrative role reachable that way.

Reading data (every object, secret, parameter or table, decrypting with any key) is not here:
it raises no privilege, so it is not an escalation path. It is its own question, answered by
:mod:`ecs_exposure.analysis.iam.data_access`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ecs_exposure.model import Level

Outcome = Literal["admin", "lateral", "audit"]
TargetKind = Literal["self", "any", "some", "role", "policy", "user", "exec"]

RHINO = "https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/"
_IAM = "https://docs.aws.amazon.com/IAM/latest/UserGuide"
PASSROLE = f"{_IAM}/id_roles_use_passrole.html"
ROLE_CHAINING = f"{_IAM}/id_roles_terms-and-concepts.html#iam-term-role-chaining"
TRUST_POLICY = f"{_IAM}/id_roles_update-role-trust-policy.html"
BOUNDARIES = f"{_IAM}/access_policies_boundaries.html"
ATTACK_CLOUD_CREDENTIALS = "https://attack.mitre.org/techniques/T1098/001/"
ATTACK_CLOUD_LOGS = "https://attack.mitre.org/techniques/T1562/008/"
ATTACK_DISABLE_TOOLS = "https://attack.mitre.org/techniques/T1562/001/"
ECS_EXEC = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-exec.html"


@dataclass(frozen=True)
class Step:
    """One link of a chain: any one of ``actions`` on the ``target``."""

    actions: tuple[str, ...]
    target: TargetKind
    passed_to: str | None = None
    """Service principal a passed role goes to (sets ``iam:PassedToService``)."""


@dataclass(frozen=True)
class Pattern:
    """A named escalation or impact path."""

    id: str
    family: str
    """Group of related patterns, as the issue names them (``pass-role-new-compute``)."""
    title: str
    steps: tuple[Step, ...]
    outcome: Outcome
    gains: str
    """What the attacker ends up with, for the attack path ("administrator access")."""
    impact: Level
    reference: str
    requires_boundary: bool = False
    """Only meaningful for a role that has a permissions boundary."""


def _pass(service: str) -> Step:
    return Step(("iam:PassRole",), "role", passed_to=service)


def _some(*actions: str) -> Step:
    return Step(actions, "some")


def _any(*actions: str) -> Step:
    return Step(actions, "any")


H, M = Level.HIGH, Level.MEDIUM
ADMIN = "administrator access"

PATTERNS: tuple[Pattern, ...] = (
    # --- policy self-escalation ---------------------------------------------------------
    Pattern("put-own-role-policy", "policy-self-escalation",
            "writes an inline policy on its own role",
            (Step(("iam:PutRolePolicy",), "self"),), "admin", ADMIN, H, RHINO),
    Pattern("attach-own-role-policy", "policy-self-escalation",
            "attaches a managed policy such as AdministratorAccess to its own role",
            (Step(("iam:AttachRolePolicy",), "self"),), "admin", ADMIN, H, RHINO),
    Pattern("create-policy-version", "policy-self-escalation",
            "writes a new default version of a policy attached to it",
            (Step(("iam:CreatePolicyVersion",), "policy"),), "admin", ADMIN, H, RHINO),
    Pattern("set-default-policy-version", "policy-self-escalation",
            "switches a policy attached to it to another, broader version",
            (Step(("iam:SetDefaultPolicyVersion",), "policy"),), "admin", ADMIN, H, RHINO),
    Pattern("remove-own-boundary", "policy-self-escalation",
            "removes or replaces its own permissions boundary",
            (Step(("iam:DeleteRolePermissionsBoundary", "iam:PutRolePermissionsBoundary"),
                  "self"),), "admin", "its policies without the boundary", H, BOUNDARIES,
            requires_boundary=True),
    # --- pass a role to new compute -----------------------------------------------------
    Pattern("pass-role-lambda", "pass-role-new-compute",
            "passes a role to a new Lambda function and runs it",
            (_pass("lambda.amazonaws.com"), _some("lambda:CreateFunction"),
             _some("lambda:InvokeFunction", "lambda:CreateEventSourceMapping",
                   "lambda:AddPermission")), "admin", ADMIN, H, RHINO),
    Pattern("pass-role-ec2", "pass-role-new-compute",
            "passes a role to a new EC2 instance",
            (_pass("ec2.amazonaws.com"), _some("ec2:RunInstances")), "admin", ADMIN, H, RHINO),
    Pattern("pass-role-ecs", "pass-role-new-compute",
            "passes a role to a new ECS task or service",
            (_pass("ecs-tasks.amazonaws.com"),
             _some("ecs:RunTask", "ecs:StartTask", "ecs:CreateService")),
            "admin", ADMIN, H, PASSROLE),
    Pattern("pass-role-glue-dev-endpoint", "pass-role-new-compute",
            "passes a role to a new Glue development endpoint",
            (_pass("glue.amazonaws.com"), _some("glue:CreateDevEndpoint")),
            "admin", ADMIN, H, RHINO),
    Pattern("pass-role-glue-job", "pass-role-new-compute",
            "passes a role to a new Glue job and starts it",
            (_pass("glue.amazonaws.com"), _some("glue:CreateJob"), _some("glue:StartJobRun")),
            "admin", ADMIN, H, PASSROLE),
    Pattern("pass-role-cloudformation", "pass-role-new-compute",
            "passes a role to a new CloudFormation stack that creates anything",
            (_pass("cloudformation.amazonaws.com"), _some("cloudformation:CreateStack")),
            "admin", ADMIN, H, RHINO),
    Pattern("pass-role-codebuild", "pass-role-new-compute",
            "passes a role to a new CodeBuild project and starts a build",
            (_pass("codebuild.amazonaws.com"), _some("codebuild:CreateProject"),
             _some("codebuild:StartBuild", "codebuild:StartBuildBatch")),
            "admin", ADMIN, H, PASSROLE),
    Pattern("pass-role-sagemaker", "pass-role-new-compute",
            "passes a role to a new SageMaker notebook or job",
            (_pass("sagemaker.amazonaws.com"),
             _some("sagemaker:CreateNotebookInstance", "sagemaker:CreateTrainingJob",
                   "sagemaker:CreateProcessingJob")), "admin", ADMIN, H, PASSROLE),
    # --- swap the role of existing compute ----------------------------------------------
    Pattern("swap-role-ecs-service", "swap-compute-role",
            "registers a task definition with another role and points a service at it",
            (_pass("ecs-tasks.amazonaws.com"), _some("ecs:RegisterTaskDefinition"),
             _some("ecs:UpdateService")), "admin", ADMIN, H, PASSROLE),
    Pattern("swap-role-lambda", "swap-compute-role",
            "gives an existing Lambda function another role (and code through a layer)",
            (_pass("lambda.amazonaws.com"), _some("lambda:UpdateFunctionConfiguration")),
            "admin", ADMIN, H, RHINO),
    Pattern("swap-role-ec2-instance-profile", "swap-compute-role",
            "attaches another role to a running EC2 instance",
            (_pass("ec2.amazonaws.com"),
             _some("ec2:AssociateIamInstanceProfile",
                   "ec2:ReplaceIamInstanceProfileAssociation")), "admin", ADMIN, H, PASSROLE),
    Pattern("swap-role-cloudformation-stack", "swap-compute-role",
            "updates an existing CloudFormation stack with another role",
            (_pass("cloudformation.amazonaws.com"), _some("cloudformation:UpdateStack")),
            "admin", ADMIN, H, RHINO),
    Pattern("inject-lambda-code", "swap-compute-role",
            "replaces the code of any existing Lambda function",
            (_any("lambda:UpdateFunctionCode"),), "lateral",
            "the roles of existing Lambda functions", M, RHINO),
    # --- trust-policy hijack -----------------------------------------------------------
    Pattern("trust-policy-hijack", "trust-policy-hijack",
            "rewrites the trust policy of a role so that it can assume it",
            (Step(("iam:UpdateAssumeRolePolicy",), "role"),), "admin", ADMIN, H, TRUST_POLICY),
    # --- credential minting ------------------------------------------------------------
    Pattern("mint-user-credentials", "credential-minting",
            "creates access keys or console passwords for any IAM user",
            (Step(("iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile"),
                  "user"),), "admin", ADMIN, H, ATTACK_CLOUD_CREDENTIALS),
    # --- role chaining -----------------------------------------------------------------
    Pattern("assume-privileged-role", "role-chaining",
            "assumes a more powerful role",
            (Step(("sts:AssumeRole",), "role"),), "admin", ADMIN, H, ROLE_CHAINING),
    # --- audit-trail tampering ---------------------------------------------------------
    Pattern("stop-audit-trail", "audit-tampering",
            "stops, deletes or blinds CloudTrail trails",
            (_any("cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "cloudtrail:UpdateTrail",
                  "cloudtrail:PutEventSelectors"),), "audit", "an unrecorded account", M,
            ATTACK_CLOUD_LOGS),
    Pattern("disable-threat-detection", "audit-tampering",
            "disables GuardDuty, Security Hub or AWS Config recording",
            (_any("guardduty:DeleteDetector", "guardduty:UpdateDetector",
                  "securityhub:DisableSecurityHub", "config:StopConfigurationRecorder",
                  "config:DeleteConfigurationRecorder", "config:DeleteDeliveryChannel"),),
            "audit", "an unwatched account", M, ATTACK_DISABLE_TOOLS),
    # --- ECS Exec into other tasks -----------------------------------------------------
    Pattern("ecs-exec-other-tasks", "ecs-exec",
            "opens a shell in other tasks with ECS Exec",
            (Step(("ecs:ExecuteCommand",), "exec"),), "lateral",
            "the task roles of other services", M, ECS_EXEC),
)
"""Every pattern, in the order findings list them (admin paths first within a family)."""

BY_ID = {p.id: p for p in PATTERNS}

ACTIONS = frozenset(a for p in PATTERNS for s in p.steps for a in s.actions)
"""Every action a pattern step names, spelled as the steps spell it: the path finder asks
which of them a role's Allow statements name at all, once per role."""
