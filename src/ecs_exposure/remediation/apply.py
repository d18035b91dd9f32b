"""Apply fix plans to AWS: register the revision, change security groups, update the service.

This is the only code in the tool that writes to AWS. It runs only when the user passes
``--apply`` and confirms, stops at the first error, and records every step (done, failed,
not attempted) in ``applied.json`` so nobody has to guess what state the account is in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecs_exposure.analysis.arn import parse_arn
from ecs_exposure.errors import OutputError
from ecs_exposure.remediation.fixers import PLACEHOLDER
from ecs_exposure.remediation.plan import ServicePlan
from ecs_exposure.reporters.output_dir import OutputDir


@dataclass
class ApplyLog:
    """What was applied, what failed, and what was not attempted."""

    steps: list[dict[str, Any]] = field(default_factory=list)
    failed: bool = False

    def record(self, plan: ServicePlan, action: str, status: str, detail: str = "") -> None:
        self.steps.append({"cluster": plan.cluster, "service": plan.service, "action": action,
                           "status": status, "detail": detail})


def _actions(plan: ServicePlan) -> list[str]:
    actions = []
    if plan.register_input is not None:
        actions.append("register-task-definition")
    if plan.security_groups:
        actions += [f"authorize-security-group-ingress {a['GroupId']}"
                    for a in plan.security_groups["authorize"]]
        actions += [f"revoke-security-group-ingress {r['GroupId']}"
                    for r in plan.security_groups["revoke"]]
    if plan.update_service is not None:
        actions.append("update-service")
    return actions


def describe(plans: list[ServicePlan]) -> list[str]:
    """One line per AWS call that applying would make, for the confirmation prompt."""
    return [f"{p.cluster}/{p.service}: {action}" for p in plans for action in _actions(p)]


def blocked(plan: ServicePlan) -> str | None:
    """Why a plan cannot be applied automatically (placeholders left), if it cannot."""
    for part in (plan.register_input, plan.update_service, plan.security_groups):
        if part is not None and PLACEHOLDER in json.dumps(part):
            return f"contains {PLACEHOLDER} placeholders; edit and apply by hand"
    return None


def apply_plans(plans: list[ServicePlan], session: Any, out: Path,
                region: str | None = None) -> ApplyLog:
    """Apply each plan in order; stop at the first error. ``session`` is a boto3 Session."""
    log = ApplyLog()
    pending = [p for p in plans if p.has_changes and _actions(p)]
    for index, plan in enumerate(pending):
        reason = blocked(plan)
        if reason:
            log.record(plan, "all", "skipped", reason)
            continue
        arn = parse_arn(plan.arn)
        plan_region = region or (arn.region if arn and arn.region else None)
        ecs = session.client("ecs", region_name=plan_region)
        ec2 = session.client("ec2", region_name=plan_region)
        try:
            new_arn = None
            if plan.register_input is not None:
                response = ecs.register_task_definition(**plan.register_input)
                new_arn = response["taskDefinition"]["taskDefinitionArn"]
                log.record(plan, "register-task-definition", "done", new_arn)
            if plan.security_groups:
                for entry in plan.security_groups["authorize"]:
                    ec2.authorize_security_group_ingress(**entry)
                    log.record(plan, "authorize-security-group-ingress", "done",
                               entry["GroupId"])
                for entry in plan.security_groups["revoke"]:
                    ec2.revoke_security_group_ingress(**entry)
                    log.record(plan, "revoke-security-group-ingress", "done", entry["GroupId"])
            if plan.update_service is not None:
                update = dict(plan.update_service)
                if new_arn:
                    update["taskDefinition"] = new_arn
                ecs.update_service(**update)
                log.record(plan, "update-service", "done", str(update.get("taskDefinition", "")))
        except Exception as exc:  # noqa: BLE001 - any AWS or network error stops the run
            log.failed = True
            log.record(plan, "error", "failed", f"{type(exc).__name__}: {exc}")
            for later in pending[index + 1:]:
                log.record(later, "all", "not attempted", "stopped after an earlier error")
            break
    record = json.dumps({"steps": log.steps, "failed": log.failed}, indent=2) + "\n"
    try:
        with OutputDir(out) as folder:
            folder.write_text("applied.json", record)
    except OutputError as exc:      # what was done is still shown; the record is not written
        log.failed = True
        log.steps.append({"cluster": "", "service": "", "action": "record applied.json",
                          "status": "failed", "detail": str(exc)})
    return log
