"""Build the fix plan of one service: the new task definition revision, the service update,
the security-group changes, and the human-readable PLAN.md.

Only the revision the service is configured to run (its ``taskDefinition``) is rewritten: once
the update rolls out, older deployments drain, so their traits go too.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import json
from dataclasses import dataclass, field

from ecs_exposure.analysis.arn import last_segment
from ecs_exposure.detectors.credentials import PLAINTEXT
from ecs_exposure.detectors.host_access import HOST_NETWORK
from ecs_exposure.detectors.iam import ADMIN, SERVICE_ADMIN
from ecs_exposure.detectors.network import OPEN_SG, PUBLIC_IP, REACHABLE
from ecs_exposure.detectors.settings import EXEC, PLATFORM
from ecs_exposure.detectors.util import as_dict, as_list
from ecs_exposure.inventory import Inventory
from ecs_exposure.model import Finding, Json, Trait
from ecs_exposure.remediation.fixers import PLACEHOLDER, Change, FixOptions, fix_task_definition
from ecs_exposure.remediation.redact import credential_traits, redact
from ecs_exposure.remediation.register_input import deep_copy, to_register_input
from ecs_exposure.settings import ScanMemo

UNATTACHED = "unattached-task-definitions"
"""Folder for task definitions that no service runs."""
MANUAL_IAM = ("replace the policy with a least-privilege one: list what the application calls "
              "(IAM Access Analyzer can generate a policy from CloudTrail activity), attach it, "
              "then detach the broad policy")


@dataclass
class ServicePlan:
    """Everything ``fix`` writes for one service (or one unattached task definition)."""

    cluster: str
    service: str
    arn: str
    finding: Finding
    base_task_definition: str | None = None
    register_input: Json | None = None
    original_input: Json | None = None
    dropped_fields: list[str] = field(default_factory=list)
    update_service: Json | None = None
    security_groups: Json | None = None
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    secrets_to_create: list[str] = field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        """A plan with nothing to write is not written."""
        return bool(self.changes)


def _awsvpc(service: Json) -> Json:
    return as_dict(as_dict(service.get("networkConfiguration")).get("awsvpcConfiguration"))


def _traits_of(finding: Finding, resource: str) -> list[Trait]:
    return [t for t in finding.traits if t.resource == resource]


def _task_definition_plan(plan: ServicePlan, inventory: Inventory, key: str,
                          options: FixOptions, *, keep_original: bool = True,
                          memo: ScanMemo | None = None) -> None:
    """Fix the revision ``key`` into ``plan``; ``keep_original`` also keeps an unfixed copy
    (for PLAN.md's diff and the secrets to create), which the scan's findings do not need;
    ``memo`` is the scan's memo (see :func:`credential_traits`)."""
    td = inventory.task_definitions[key]
    register, dropped = to_register_input(td)
    original = deep_copy(register) if keep_original else None
    origin = str(td.get("taskDefinitionArn") or plan.arn)
    changes = fix_task_definition(register, _traits_of(plan.finding, key),
                                  dataclasses.replace(options, origin_arn=origin))
    # Safety net: a credential a fixer could not move is replaced, never written out.
    leftovers = credential_traits(register, memo)
    if leftovers:
        register, _ = redact(register, marker=f"{PLACEHOLDER}: credential removed")
        for trait in leftovers:
            changes.append(Change(
                (PLAINTEXT.id,), "task-definition",
                f"credential in {trait.pointer} replaced by a placeholder: rewrite it to read "
                "a secret", "manual", "the new revision does not start correctly until this "
                "is fixed", trait.container))
    if changes:
        plan.base_task_definition = key
        plan.register_input = register
        plan.original_input = original
        plan.dropped_fields = dropped
        plan.changes.extend(changes)
        if original is not None:
            plan.secrets_to_create.extend(_new_secrets(register, original))
    for other in plan.finding.task_definitions:
        if other != key and _traits_of(plan.finding, other):
            plan.notes.append(f"{last_segment(other)} still runs in an older deployment; its "
                              "tasks are replaced when the rollout of the new revision completes.")


def _new_secrets(fixed: Json, original: Json) -> list[str]:
    """Secrets Manager ARNs the fixed revision reads that the original did not name."""
    found: list[str] = []
    for container in as_list(fixed.get("containerDefinitions")):
        for secret in as_list(as_dict(container).get("secrets")):
            reference = str(as_dict(secret).get("valueFrom", ""))
            if reference.startswith("arn:aws:secretsmanager") and reference not in found \
                    and _is_new_secret(original, reference):
                found.append(reference)
    return found


def _is_new_secret(original: Json, reference: str) -> bool:
    return reference not in json.dumps(original)


def _service_update(plan: ServicePlan, inventory: Inventory, service: Json,
                    options: FixOptions) -> None:
    ids = {t.id for t in plan.finding.traits}
    update: Json = {"cluster": plan.cluster, "service": plan.service}
    if plan.register_input is not None:
        update["taskDefinition"] = plan.register_input.get("family")
    awsvpc = copy.deepcopy(_awsvpc(service))
    if PUBLIC_IP.id in ids and awsvpc.get("assignPublicIp") == "ENABLED":
        awsvpc["assignPublicIp"] = "DISABLED"
        plan.changes.append(Change(
            (PUBLIC_IP.id, REACHABLE.id), "service",
            "set assignPublicIp to DISABLED", "review",
            "tasks lose direct outbound internet access: they need private subnets with a NAT "
            "gateway or VPC endpoints (ECR, S3, CloudWatch Logs, Secrets Manager) to pull "
            "images and send logs"))
        update["networkConfiguration"] = {"awsvpcConfiguration": awsvpc}
    if plan.register_input is not None and plan.register_input.get("networkMode") == "awsvpc" \
            and not awsvpc:
        update["networkConfiguration"] = {"awsvpcConfiguration": {
            "subnets": [f"subnet-{PLACEHOLDER}"], "securityGroups": [f"sg-{PLACEHOLDER}"],
            "assignPublicIp": "DISABLED"}}
        plan.changes.append(Change(
            (HOST_NETWORK.id,), "service",
            "give the service an awsvpc network configuration (subnets and security groups "
            f"are placeholders marked {PLACEHOLDER})", "manual",
            "choose private subnets and a security group that admits only the callers"))
    if EXEC.id in ids and service.get("enableExecuteCommand") is True:
        update["enableExecuteCommand"] = False
        plan.changes.append(Change((EXEC.id,), "service",
                                   "turn off ECS Exec", "review",
                                   "operators lose interactive shells into the tasks"))
    if PLATFORM.id in ids:
        update["platformVersion"] = "LATEST"
        plan.changes.append(Change((PLATFORM.id,), "service",
                                   "move to Fargate platform version LATEST", "safe",
                                   "tasks are replaced by a normal rolling deployment"))
    if len(update) > 2:
        plan.update_service = update


def _load_balancer_groups(inventory: Inventory, service: Json) -> list[str]:
    groups: list[str] = []
    for entry in as_list(service.get("loadBalancers")):
        target_group = inventory.target_groups.get(str(as_dict(entry).get("targetGroupArn")))
        for lb_arn in as_list(as_dict(target_group).get("LoadBalancerArns")):
            for group in as_list(as_dict(inventory.load_balancers.get(lb_arn))
                                 .get("SecurityGroups")):
                if isinstance(group, str) and group not in groups:
                    groups.append(group)
    return groups


def _security_groups(plan: ServicePlan, inventory: Inventory, service: Json,
                     options: FixOptions) -> None:
    own = {g for g in as_list(_awsvpc(service).get("securityGroups")) if isinstance(g, str)}
    lb_groups = _load_balancer_groups(inventory, service)
    revoke: list[Json] = []
    authorize: list[Json] = []
    noted: set[str] = set()
    for trait in plan.finding.traits:
        if trait.id != OPEN_SG.id:
            continue
        facts = dict(trait.extra)
        group_id = str(facts.get("group_id"))
        if group_id not in own:
            if group_id in noted:
                continue
            noted.add(group_id)
            plan.changes.append(Change(
                (OPEN_SG.id,), "security-group",
                f"load balancer security group {group_id} is open to the internet: keep it "
                "only if the service is meant to be public (then put AWS WAF in front); "
                "otherwise restrict it", "manual", "restricting it makes the site private"))
            continue
        permission = _permission(inventory, group_id, trait.pointer)
        if permission is None:
            continue
        revoke.append({"GroupId": group_id, "IpPermissions": [permission]})
        ports = {k: permission[k] for k in ("IpProtocol", "FromPort", "ToPort") if k in permission}
        if options.allow_cidrs:
            authorize.append({"GroupId": group_id, "IpPermissions": [{
                **ports, "IpRanges": [{"CidrIp": c, "Description": "ecs-exposure fix"}
                                      for c in options.allow_cidrs if ":" not in c],
                "Ipv6Ranges": [{"CidrIpv6": c, "Description": "ecs-exposure fix"}
                               for c in options.allow_cidrs if ":" in c]}]})
            source = ", ".join(options.allow_cidrs)
        elif lb_groups:
            authorize.append({"GroupId": group_id, "IpPermissions": [{
                **ports, "UserIdGroupPairs": [{"GroupId": g, "Description": "from load balancer"}
                                              for g in lb_groups]}]})
            source = "the load balancer's security group " + ", ".join(lb_groups)
        else:
            source = ""
        described = trait.detail.split(" allows ", 1)[-1]
        plan.changes.append(Change(
            (OPEN_SG.id, REACHABLE.id), "security-group",
            f"revoke {described} on {group_id}" + (f"; allow the same ports from {source}"
                                                   if source else ""),
            "review" if source else "manual",
            "clients outside the allowed sources can no longer connect" if source else
            "no replacement source given (--allow-cidr): the port closes for everyone"))
    if revoke:
        plan.security_groups = {"revoke": revoke, "authorize": authorize}


def _permission(inventory: Inventory, group_id: str, pointer: str) -> Json | None:
    """The open range as a revoke-security-group-ingress permission (just that range)."""
    parts = pointer.split("/")
    group = inventory.security_groups.get(group_id)
    if group is None or len(parts) < 5:
        return None
    perm = as_list(group.get("IpPermissions"))[int(parts[2])]
    entry = as_list(as_dict(perm).get(parts[3]))[int(parts[4])]
    result: Json = {"IpProtocol": perm.get("IpProtocol")}
    for key in ("FromPort", "ToPort"):
        if key in perm:
            result[key] = perm[key]
    cidr_key = "CidrIp" if parts[3] == "IpRanges" else "CidrIpv6"
    result[parts[3]] = [{cidr_key: as_dict(entry).get(cidr_key)}]
    return result


def _iam(plan: ServicePlan) -> None:
    seen: set[str] = set()
    for trait in plan.finding.traits:
        if trait.id in (ADMIN.id, SERVICE_ADMIN.id):
            role = last_segment(str(dict(trait.extra).get("role", trait.resource)))
            if role not in seen:
                seen.add(role)
                plan.changes.append(Change((trait.id,), "iam",
                                           f"role {role}: {MANUAL_IAM}", "manual",
                                           "a policy that is too narrow breaks the application"))


def base_task_definition(inventory: Inventory, finding: Finding) -> str | None:
    """Key of the revision a fix starts from: the one the service is configured to run."""
    service = inventory.services.get(finding.arn, {})
    if service:
        return inventory.resolve_task_definition(str(service.get("taskDefinition", "")))
    return finding.arn if finding.arn in inventory.task_definitions else None


def fixed_revision(inventory: Inventory, finding: Finding, options: FixOptions,
                   memo: ScanMemo | None = None) -> Json | None:
    """Only the new task definition revision of a finding's plan (what the scan reports)."""
    key = base_task_definition(inventory, finding)
    if key is None:
        return None
    plan = ServicePlan(finding.cluster or UNATTACHED, finding.name, finding.arn, finding)
    _task_definition_plan(plan, inventory, key, options, keep_original=False, memo=memo)
    return plan.register_input


def plan_for(inventory: Inventory, finding: Finding, options: FixOptions) -> ServicePlan:
    """The plan for one finding (service or unattached task definition)."""
    service = inventory.services.get(finding.arn, {})
    name = finding.name
    plan = ServicePlan(finding.cluster or UNATTACHED, name, finding.arn, finding)
    key = base_task_definition(inventory, finding)
    if key is not None:
        _task_definition_plan(plan, inventory, key, options)
    if service:
        _service_update(plan, inventory, service, options)
        _security_groups(plan, inventory, service, options)
    _iam(plan)
    return plan


def diff(plan: ServicePlan) -> str:
    """Unified diff of the task definition, with every credential value redacted."""
    if plan.register_input is None or plan.original_input is None:
        return ""
    before, _ = redact(plan.original_input)
    after, _ = redact(plan.register_input)
    lines = difflib.unified_diff(
        json.dumps(before, indent=2, sort_keys=False).splitlines(),
        json.dumps(after, indent=2, sort_keys=False).splitlines(),
        fromfile=f"{last_segment(plan.base_task_definition or 'current')}",
        tofile="new revision", lineterm="", n=2)
    return "\n".join(lines)
