"""Write fix plans to disk: per-service JSON inputs for the AWS CLI, PLAN.md, and plan.json.

Every JSON file is exactly the ``--cli-input-json`` of one AWS CLI call, so a reviewer can
apply a plan by hand, step by step, without this tool.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ecs_exposure.analysis.arn import last_segment
from ecs_exposure.remediation.fixers import PLACEHOLDER
from ecs_exposure.remediation.plan import ServicePlan, diff

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(name: str) -> str:
    """A path component that cannot escape the output folder (names come from inputs)."""
    cleaned = _UNSAFE.sub("_", name).strip("._") or "_"
    return cleaned[:100]


def plan_directory(out: Path, plan: ServicePlan) -> Path:
    """``DIR/<cluster>/<service>``."""
    return out / safe_name(plan.cluster) / safe_name(plan.service)


def _dump(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _md(text: str) -> str:
    """Inline Markdown-safe text: names from inputs must not break the table or inject HTML."""
    return (text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;")
            .replace(">", "&gt;").replace("\n", " "))


def render_plan_md(plan: ServicePlan) -> str:
    """The human-readable plan a platform engineer reviews."""
    finding = plan.finding
    lines = [f"# Fix plan: {_md(plan.cluster)}/{_md(plan.service)}", "",
             f"- Resource: `{_md(plan.arn)}`",
             f"- Finding: **{finding.severity.name}** — {_md(finding.title)}",
             f"- Why: {_md(finding.why)}"]
    if plan.base_task_definition:
        lines.append(f"- New revision based on: `{_md(last_segment(plan.base_task_definition))}`")
    lines += ["", "## Changes", "", "| # | Change | Traits | Confidence | Risk |",
              "|---|---|---|---|---|"]
    for index, change in enumerate(plan.changes, 1):
        lines.append(f"| {index} | {_md(change.description)} | "
                     f"{', '.join(change.trait_ids)} | {change.confidence} | {_md(change.risk)} |")
    lines += ["", "Confidence: `safe` — no behaviour change expected; `review` — removes the "
              "weakness but may affect the workload, test it; `manual` — needs a human "
              "decision, nothing was written for it.", "", "## How to apply", ""]
    step = 1
    if plan.secrets_to_create:
        lines.append(f"{step}. Create each secret **without putting the value on a command "
                     "line** (it would land in shell history and process lists): run the "
                     "command, paste the value, then press Ctrl-D. Rotate the old credential: "
                     "everyone who could describe the task definition has seen it.")
        lines.append("")
        lines.append("   ```sh")
        for reference in plan.secrets_to_create:
            name = reference.split(":secret:", 1)[-1]
            lines.append(f"   aws secretsmanager create-secret --name '{name}' "
                         "--secret-string file:///dev/stdin")
        lines.append("   ```")
        lines.append("")
        lines.append("   Then allow the task's execution role `secretsmanager:GetSecretValue` on "
                     "them.")
        step += 1
    if plan.register_input is not None:
        lines.append(f"{step}. Register the new revision: `aws ecs register-task-definition "
                     "--cli-input-json file://task-definition.json`")
        step += 1
    if plan.security_groups:
        lines.append(f"{step}. Change the security groups (`security-groups.json` holds the "
                     "inputs): for each entry, `aws ec2 authorize-security-group-ingress "
                     "--cli-input-json \"$(jq '.authorize[N]' security-groups.json)\"` first, "
                     "then `aws ec2 revoke-security-group-ingress --cli-input-json \"$(jq "
                     "'.revoke[N]' security-groups.json)\"`.")
        step += 1
    if plan.update_service:
        lines.append(f"{step}. Roll it out: `aws ecs update-service --cli-input-json "
                     "file://update-service.json`, then watch the deployment "
                     "(`aws ecs wait services-stable`).")
    if any(PLACEHOLDER in json.dumps(x) for x in (plan.register_input, plan.update_service)
           if x is not None):
        lines += ["", f"**Placeholders:** values marked `{PLACEHOLDER}` must be replaced before "
                  "these files are used."]
    text = diff(plan)
    if text:
        lines += ["", "## Task definition diff (credential values redacted)", "", "```diff",
                  text, "```"]
    manual = [c for c in plan.changes if c.confidence == "manual"]
    if manual or plan.notes or plan.dropped_fields:
        lines += ["", "## Needs a human", ""]
        lines += [f"- {_md(c.description)}" for c in manual]
        lines += [f"- {_md(n)}" for n in plan.notes]
        if plan.dropped_fields:
            lines.append("- Read-only fields dropped from the registered revision: "
                         + ", ".join(f"`{f}`" for f in plan.dropped_fields))
    return "\n".join(lines) + "\n"


def write_plans(out: Path, plans: list[ServicePlan]) -> dict[str, Any]:
    """Write every plan with changes; returns the plan.json document (also written)."""
    out.mkdir(parents=True, exist_ok=True)
    entries = []
    for plan in plans:
        if not plan.has_changes:
            continue
        directory = plan_directory(out, plan)
        directory.mkdir(parents=True, exist_ok=True)
        files = []
        if plan.register_input is not None:
            _dump(directory / "task-definition.json", plan.register_input)
            files.append("task-definition.json")
        if plan.update_service is not None:
            _dump(directory / "update-service.json", plan.update_service)
            files.append("update-service.json")
        if plan.security_groups is not None:
            _dump(directory / "security-groups.json", plan.security_groups)
            files.append("security-groups.json")
        (directory / "PLAN.md").write_text(render_plan_md(plan), encoding="utf-8")
        files.append("PLAN.md")
        entries.append({
            "cluster": plan.cluster, "service": plan.service, "arn": plan.arn,
            "severity": plan.finding.severity.name,
            "directory": str(directory.relative_to(out)), "files": files,
            "changes": [asdict(c) for c in plan.changes],
        })
    document = {"schema": "ecs-exposure/fix-plan@1",
                "generated_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
                "plans": entries}
    _dump(out / "plan.json", document)
    return document
