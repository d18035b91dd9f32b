"""IAM roles a task can use: the task role's credentials are one HTTP request away from any
code running in the container, so what the role may do is what an attacker may do.

Example: a task definition with ``"taskRoleArn": "arn:aws:iam::1:role/app"`` where role ``app``
has ``arn:aws:iam::aws:policy/AdministratorAccess`` attached fires ``assumable-role`` and
``administrative-policy``.
"""

from __future__ import annotations

from collections.abc import Iterator

from ecs_exposure.arn import last_segment
from ecs_exposure.detectors.policies import (
    Grant,
    analyse_document,
    denies_everything,
    known_managed_grant,
)
from ecs_exposure.detectors.registry import Context, TraitSpec, detector
from ecs_exposure.detectors.util import as_list
from ecs_exposure.inventory import decode_policy_document
from ecs_exposure.model import Json, Level, Trait

ASSUMABLE = TraitSpec(
    "assumable-role", "Container can assume an IAM role", "impact", True,
    "The task definition has a taskRoleArn: any code in its containers can obtain the role's "
    "credentials.",
    ("Security Hub: ECS service has a container that can assume an IAM role",),
)
ADMIN = TraitSpec(
    "administrative-policy", "Administrative IAM policy", "impact", False,
    "The task or execution role has AdministratorAccess or IAMFullAccess attached, or any "
    "policy allowing Action * (or *:*, iam:*, or NotAction) on Resource *.",
    ("Security Hub: IAM role associated with the ECS service has an administrative access policy",
     "CSPM IAM.1"),
)
SERVICE_ADMIN = TraitSpec(
    "service-admin-policy", "Service-admin IAM policy", "impact", False,
    "The task or execution role allows <service>:* (e.g. s3:*, kms:*) on Resource *.",
    ("Security Hub: IAM role associated with the ECS service has a Service Admin Policy",),
)

ROLE_FIELDS = (("taskRoleArn", "task role"), ("executionRoleArn", "execution role"))


@detector("task-definition", ASSUMABLE, ADMIN, SERVICE_ADMIN)
def task_roles(ctx: Context) -> Iterator[Trait]:
    """Evaluate each distinct role once, even when it is both task and execution role."""
    roles: dict[str, list[str]] = {}
    for field_name, label in ROLE_FIELDS:
        ref = ctx.resource.get(field_name)
        if isinstance(ref, str) and ref:
            roles.setdefault(ref, []).append(label)
            if field_name == "taskRoleArn":
                yield ctx.trait(ASSUMABLE.id, "/taskRoleArn",
                                f"containers can obtain credentials of role {last_segment(ref)}")
    for ref, labels in roles.items():
        role = ctx.inventory.role(ref)
        if role is not None:
            yield from _role_grants(ctx, role, " and ".join(labels))


def _role_documents(ctx: Context, role: Json) -> Iterator[tuple[str, str, str, Json | None]]:
    """``(resource, pointer prefix, policy label, document)`` for every policy of the role."""
    role_arn = str(role.get("Arn"))
    for index, inline in enumerate(as_list(role.get("RolePolicyList"))):
        if isinstance(inline, dict):
            yield (role_arn, f"/RolePolicyList/{index}/PolicyDocument",
                   f"inline policy {inline.get('PolicyName', index)}",
                   decode_policy_document(inline.get("PolicyDocument")))
    for index, attached in enumerate(as_list(role.get("AttachedManagedPolicies"))):
        if not isinstance(attached, dict) or not isinstance(attached.get("PolicyArn"), str):
            continue
        arn = attached["PolicyArn"]
        document = ctx.inventory.policy_document(arn)
        if document is None:
            yield role_arn, f"/AttachedManagedPolicies/{index}", f"managed policy {arn}", None
            continue
        policy = ctx.inventory.managed_policies[arn]
        versions = as_list(policy.get("PolicyVersionList"))
        v_index = next((i for i, v in enumerate(versions) if isinstance(v, dict)
                        and decode_policy_document(v.get("Document")) == document), 0)
        yield (arn, f"/PolicyVersionList/{v_index}/Document",
               f"managed policy {policy.get('PolicyName', arn)}", document)


def _role_analysis(ctx: Context, role: Json) -> list[tuple[str, str, str, list[Grant]]]:
    """``(resource, pointer prefix, policy label, grants)`` per policy of the role; empty when
    a policy denies everything. Memoised per scan: execution roles are shared by thousands
    of task definitions, and so are task roles by every revision of a family."""
    key = ("iam.role-analysis", id(role))
    cached: list[tuple[str, str, str, list[Grant]]] | None = ctx.memo.get(key)
    if cached is not None:
        return cached
    documents = list(_role_documents(ctx, role))
    analysed: list[tuple[str, str, str, list[Grant]]] = []
    if not any(denies_everything(doc) for *_, doc in documents):
        for resource, prefix, label, document in documents:
            if document is None:
                grant = known_managed_grant(label.removeprefix("managed policy "))
                grants: list[Grant] = [grant] if grant else []
            else:
                grants = analyse_document(document)
            analysed.append((resource, prefix, label, grants))
    ctx.memo[key] = analysed
    return analysed


def _role_grants(ctx: Context, role: Json, labels: str) -> Iterator[Trait]:
    role_name = str(role.get("RoleName") or last_segment(str(role.get("Arn"))))
    for resource, prefix, label, grants in _role_analysis(ctx, role):
        for grant in grants:
            trait = ADMIN if grant.kind == "admin" else SERVICE_ADMIN
            condition = " (only under a Condition)" if grant.conditional else ""
            yield ctx.trait(
                trait.id, prefix + grant.pointer,
                f"{labels} {role_name}: {label} {grant.detail}{condition}",
                resource=resource,
                impact=Level.HIGH if grant.kind == "admin" else Level.MEDIUM,
                extra=(("role", str(role.get("Arn"))), ("role_kind", labels),
                       ("services", grant.services)),
            )
