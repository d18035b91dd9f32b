"""IAM roles a task can use: the task role's credentials are one HTTP request away from any
code running in the container, so what the role may do is what an attacker may do.

Example: a task definition with ``"taskRoleArn": "arn:aws:iam::1:role/app"`` where role ``app``
has ``arn:aws:iam::aws:policy/AdministratorAccess`` attached fires ``assumable-role`` and
``administrative-policy``; a narrower role that can pass a role to a new Lambda function fires
``privilege-escalation-path`` (see :mod:`ecs_exposure.detectors.iam_escalation`); one that can
read every S3 object fires ``sensitive-data-access`` (see :mod:`ecs_exposure.detectors.iam_data`).
"""

from __future__ import annotations

from collections.abc import Iterator

from ecs_exposure.analysis.arn import last_segment
from ecs_exposure.analysis.iam.analysis import RoleAnalysis, analyse_role
from ecs_exposure.detectors import references as ref
from ecs_exposure.detectors.iam_data import DATA_ACCESS, data_traits
from ecs_exposure.detectors.iam_escalation import ESCALATION, escalation_traits
from ecs_exposure.detectors.registry import Context, TraitSpec, detector
from ecs_exposure.detectors.spec import Guidance
from ecs_exposure.model import Level, Trait

ASSUMABLE = TraitSpec(
    "assumable-role", "Container can assume an IAM role", "impact", True,
    "The task definition has a taskRoleArn: any code in its containers can obtain the role's "
    "credentials.",
    ("Security Hub: ECS service has a container that can assume an IAM role",),
    guidance=Guidance(
        why=(
            "Every process in a task with a `taskRoleArn` can fetch that role's "
            "temporary credentials from the container credentials endpoint, so code "
            "execution in the container becomes the role's permissions in AWS."
        ),
        change=(
            "Remove `taskRoleArn` from the task definition if the application makes "
            "no AWS API calls; otherwise keep the role's policies to the specific "
            "actions and resource ARNs it uses and deploy the new revision with "
            "`update-service`."
        ),
        contain=(
            "Add `aws:SourceAccount` / `aws:SourceArn` conditions to the role's trust "
            "policy, limit use of its credentials to your network with "
            "`aws:SourceVpc` or `aws:SourceVpce` conditions, and on EC2 instances "
            "block task access to the instance role (`ECS_AWSVPC_BLOCK_IMDS=true`, "
            "IMDSv2 hop limit 1)."
        ),
        references=(ref.SH_ECS_EXPOSURE, ref.ECS_TASK_ROLE, ref.IAM_BEST_PRACTICES),
    ),
)
ADMIN = TraitSpec(
    "administrative-policy", "Administrative IAM policy", "impact", False,
    "The task or execution role has AdministratorAccess or IAMFullAccess attached, or any "
    "policy allowing Action * (or *:*, iam:*, or NotAction) on Resource *.",
    ("Security Hub: IAM role associated with the ECS service has an administrative access policy",
     "CSPM IAM.1"),
    weight="high",
    controls=(ref.IAM_1,),
    needs=("iam",),
    title_phrase="an administrative IAM role",
    ocsf_impact="Privilege Escalation",
    guidance=Guidance(
        why=(
            "A task or execution role with `AdministratorAccess`, `IAMFullAccess` or an "
            "`Allow` of `Action: *` on `Resource: *` turns any code execution in the "
            "container into full control of the AWS account: the attacker can read "
            "all data, create users and keys, and delete resources."
        ),
        change=(
            "Detach the policy (`detach-role-policy` / `delete-role-policy`) and "
            "attach a least-privilege policy that lists only the actions and resource "
            "ARNs the service uses; IAM Access Analyzer can generate one from the "
            "role's CloudTrail activity."
        ),
        contain=(
            "Attach a permissions boundary to the role and enforce organization SCPs "
            "that deny IAM and logging changes, and never combine such a role with a "
            "publicly reachable service."
        ),
        references=(
            ref.SH_ECS_EXPOSURE,
            ref.IAM_1.url,
            ref.IAM_POLICY_GENERATION,
            ref.IAM_BOUNDARIES,
        ),
    ),
)
SERVICE_ADMIN = TraitSpec(
    "service-admin-policy", "Service-admin IAM policy", "impact", False,
    "The task or execution role allows <service>:* (e.g. s3:*, kms:*) on Resource *.",
    ("Security Hub: IAM role associated with the ECS service has a Service Admin Policy",),
    title_phrase="a service-admin IAM role",
    ocsf_impact="Data Access",
    needs=("iam",),
    guidance=Guidance(
        why=(
            "A role that allows `<service>:*` on `*` gives a compromised task every "
            "action of that service on every resource: with `s3:*` it can read, delete "
            "or publish any bucket; with `kms:*` it can rewrite key policies or "
            "schedule key deletion; with `ecr:*` it can push backdoored images."
        ),
        change=(
            "Replace the wildcard statement with the specific actions the service "
            "calls (for example `s3:GetObject`, `s3:PutObject`) on the specific "
            "resource ARNs it touches; IAM Access Analyzer policy generation from "
            "CloudTrail shows what the role actually uses."
        ),
        contain=(
            "Scope `Resource` to named ARNs and add explicit `Deny` statements or a "
            "permissions boundary for destructive actions such as "
            "`s3:PutBucketPolicy`, `s3:DeleteBucket` or `kms:ScheduleKeyDeletion`."
        ),
        references=(ref.SH_ECS_EXPOSURE, ref.IAM_POLICY_GENERATION, ref.IAM_BEST_PRACTICES),
    ),
)
SHARED_ROLE = TraitSpec(
    "execution-role-is-task-role", "Execution role is also the task role", "impact", True,
    "The task definition's executionRoleArn and taskRoleArn name the same IAM role.",
    ("Checkov CKV_AWS_249",),
    guidance=Guidance(
        why=(
            "The execution role is meant for the ECS agent alone (pull images, write logs, "
            "read the task's secrets); as the task role its credentials reach every "
            "process in the containers, so code running there can read every secret and "
            "pull every image the agent may, and a role widened for the agent widens the "
            "application too."
        ),
        change=(
            "Create a separate execution role with `AmazonECSTaskExecutionRolePolicy` "
            "and read access to the task's own secrets only, set it as `executionRoleArn` "
            "in a new revision, keep the application's permissions on the task role, "
            "then `update-service`."
        ),
        contain=(
            "Scope the shared role's secret and parameter permissions to the ARNs the task "
            "references and its ECR permissions to the repositories it pulls from."
        ),
        references=(ref.ECS_EXECUTION_ROLE, ref.ECS_TASK_ROLE, ref.IAM_BEST_PRACTICES),
    ),
)

ROLE_FIELDS = (("taskRoleArn", "task role"), ("executionRoleArn", "execution role"))


@detector("task-definition", ASSUMABLE, ADMIN, SERVICE_ADMIN, ESCALATION, DATA_ACCESS)
def task_roles(ctx: Context) -> Iterator[Trait]:
    """Evaluate each distinct role once, even when it is both task and execution role.

    Escalation paths and data access are looked for on the task role only: the execution role
    is used by the ECS agent to pull images and secrets, and its credentials never reach the
    containers.
    """
    roles: dict[str, list[str]] = {}
    for field_name, label in ROLE_FIELDS:
        ref = ctx.resource.get(field_name)
        if isinstance(ref, str) and ref:
            roles.setdefault(ref, []).append(label)
    for ref, labels in roles.items():
        role = ctx.inventory.role(ref)
        analysis = analyse_role(ctx.inventory, role, ctx.memo) if role is not None else None
        if "task role" in labels:
            yield _assumable(ctx, ref, analysis)
        if analysis is None:
            continue
        yield from _role_grants(ctx, analysis, " and ".join(labels))
        if "task role" in labels:
            # The same for every task definition using the role: built once per scan.
            table: dict[str, list[Trait]] = ctx.memo.table("iam.escalation-traits")
            if analysis.policies.arn not in table:
                table[analysis.policies.arn] = [*escalation_traits(ctx, analysis),
                                                *data_traits(ctx, analysis)]
            yield from table[analysis.policies.arn]


def _assumable(ctx: Context, ref: str, analysis: RoleAnalysis | None) -> Trait:
    detail = f"containers can obtain credentials of role {last_segment(ref)}"
    extra: tuple[tuple[str, object], ...] = ()
    if analysis is not None:
        summary = analysis.access.describe()
        detail += f" ({summary})" if summary else " (no effective permissions found)"
        extra = (("role", analysis.policies.arn),
                 ("access_levels", analysis.access.certain),
                 ("conditional_access_levels", analysis.access.conditional))
        if analysis.policies.unknown:
            detail += "; not in the inputs: " + ", ".join(analysis.policies.unknown)
            extra += (("unknown_policies", list(analysis.policies.unknown)),)
    return ctx.trait(ASSUMABLE.id, "/taskRoleArn", detail, extra=extra)


def _role_grants(ctx: Context, analysis: RoleAnalysis, labels: str) -> Iterator[Trait]:
    role = analysis.policies
    for sourced in analysis.grants:
        grant = sourced.grant
        trait = ADMIN if grant.kind == "admin" else SERVICE_ADMIN
        condition = " (only under a Condition)" if grant.conditional else ""
        yield ctx.trait(
            trait.id, sourced.pointer,
            f"{labels} {role.name}: {sourced.source.label} {grant.detail}{condition}",
            resource=sourced.source.resource,
            impact=Level.HIGH if grant.kind == "admin" else Level.MEDIUM,
            extra=(("role", role.arn), ("role_kind", labels), ("services", grant.services)),
        )


def same_role(first: str, second: str) -> bool:
    """Two role references name one role: equal, or equal names where one is a bare name
    (task definitions may name a role of their own account without its ARN)."""
    if first == second:
        return True
    if first.startswith("arn:") and second.startswith("arn:"):
        return False
    return last_segment(first) == last_segment(second)


@detector("task-definition", SHARED_ROLE)
def execution_role_is_task_role(ctx: Context) -> Iterator[Trait]:
    """The agent's role handed to the application (the role's own grants are judged above)."""
    task_role = ctx.resource.get("taskRoleArn")
    execution_role = ctx.resource.get("executionRoleArn")
    if (isinstance(task_role, str) and task_role and isinstance(execution_role, str)
            and execution_role and same_role(task_role, execution_role)):
        yield ctx.trait(SHARED_ROLE.id, "/executionRoleArn",
                        f"role {last_segment(task_role)} is both the execution role and the "
                        "task role: its credentials reach the containers",
                        extra=(("role", task_role),))
