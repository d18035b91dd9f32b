"""What a finding depends on but the inputs could not tell: unknown is never safe.

A service's task definition that is not in the inputs (only a newer revision exported, or a
live describe that failed), a role whose IAM entry has no usable ``Arn`` or whose policy does
not parse: each is named in the finding, and :func:`ecs_exposure.exposure.assess.assess`
makes a finding even without a trait and assumes the impact high. Gaps in what was supplied
at all (no IAM export) stay notes in ``missing`` (see the pipeline), so a scan of task
definitions alone is not flooded.
"""

from __future__ import annotations

from ecs_exposure.analysis.arn import last_segment
from ecs_exposure.analysis.shapes import as_dict, as_list
from ecs_exposure.inventory import Inventory, decode_policy_document


def unknown_for(inventory: Inventory, refs: list[str], keys: list[str],
                roles: list[str] | None = None) -> list[str]:
    """What a subject runs but the inputs could not tell: each task definition a service
    runs that is not in the inputs (only a newer revision exported, or a live describe that
    failed). Its containers, roles and secrets are unknown, which is never safe. ``roles``:
    :func:`unknown_roles` of ``keys`` when the caller has it already."""
    unknown = [f"task definition {last_segment(r)} is not in the inputs (its containers, "
               "roles and secrets could not be checked)"
               for r in refs if inventory.resolve_task_definition(r) is None]
    return unknown + (unknown_roles(inventory, keys) if roles is None else roles)


def unknown_roles(inventory: Inventory, keys: list[str]) -> list[str]:
    """Roles of these task definitions whose permissions the supplied IAM data cannot tell."""
    unknown: list[str] = []
    for key in keys:
        for field_name in ("taskRoleArn", "executionRoleArn"):
            ref = inventory.task_definitions[key].get(field_name)
            if isinstance(ref, str) and ref:
                for note in _unreadable_role(inventory, ref):
                    if note not in unknown:
                        unknown.append(note)
    return unknown


def _unreadable_role(inventory: Inventory, ref: str) -> list[str]:
    """Why the permissions of role ``ref`` are unknown although IAM was supplied: its entry
    has no usable Arn, a policy document of it does not parse, or live collection could not
    read it or one of its managed policies (listed as incomplete under its ARN)."""
    name = last_segment(ref)
    role = inventory.role(ref)
    if role is None:
        if ref in inventory.incomplete:   # a live read that failed or was not answered
            return [f"IAM role {name}: {'; '.join(inventory.incomplete[ref])}, so its "
                    "permissions are unknown"]
        why = inventory.unreadable_roles.get(name) or inventory.unreadable_roles.get("*")
        return [f"IAM role {name} could not be read ({why}), so its permissions are "
                "unknown"] if why else []
    notes = []
    for inline in as_list(role.get("RolePolicyList")):
        if not isinstance(inline, dict) or \
                decode_policy_document(inline.get("PolicyDocument")) is None:
            policy = as_dict(inline).get("PolicyName")
            notes.append(f"inline policy {policy} of IAM role {name} does not parse, so its "
                         "permissions are unknown")
    for attached in as_list(role.get("AttachedManagedPolicies")):
        arn = as_dict(attached).get("PolicyArn")
        if isinstance(arn, str) and arn in inventory.managed_policies and \
                inventory.policy_document(arn) is None:
            notes.append(f"managed policy {last_segment(arn)} of IAM role {name} does not "
                         "parse, so its permissions are unknown")
        elif isinstance(arn, str) and arn not in inventory.managed_policies and \
                arn in inventory.incomplete:
            notes.append(f"managed policy {last_segment(arn)} of IAM role {name}: "
                         f"{'; '.join(inventory.incomplete[arn])}, so its permissions are "
                         "unknown")
    return notes
