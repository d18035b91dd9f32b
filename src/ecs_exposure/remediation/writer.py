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

from ecs_exposure.analysis.arn import last_segment, parse_arn
from ecs_exposure.model import Json
from ecs_exposure.remediation.commands import UnprintableArgument, command_line, pipeline
from ecs_exposure.remediation.fixers import PLACEHOLDER
from ecs_exposure.remediation.plan import ServicePlan, diff
from ecs_exposure.reporters.markdown import md
from ecs_exposure.reporters.terminal import safe

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


def _secret_name(reference: str) -> str:
    """The name part of a Secrets Manager ARN (``…:secret:NAME``)."""
    arn = parse_arn(reference)
    return arn.resource.removeprefix("secret:") if arn else reference


def _fence(text: str, info: str = "") -> list[str]:
    """``text`` as a fenced code block whose fence no line of ``text`` can close."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + info, text, fence]


def _commands(pipelines: list[tuple[list[str], ...]]) -> list[str]:
    """An indented ``sh`` block (inside a numbered step): one line per pipeline, each command
    of it built from its arguments by :func:`pipeline`."""
    return ["", "   ```sh", *("   " + pipeline(*commands) for commands in pipelines), "   ```"]


def _security_group_commands(groups: Json) -> list[tuple[list[str], ...]]:
    """One pipeline per entry of ``security-groups.json``: authorize every new source first,
    then revoke the open ranges, so the service is never cut off in between."""
    return [(["jq", f".{kind}[{index}]", "security-groups.json"],
             ["aws", "ec2", f"{kind}-security-group-ingress", "--cli-input-json",
              "file:///dev/stdin"])
            for kind in ("authorize", "revoke")
            for index in range(len(groups.get(kind, [])))]


def _how_to_apply(plan: ServicePlan) -> list[str]:
    """The numbered steps, every command in a ``sh`` block built by :func:`command_line`, so
    a name from an input is one quoted argument whatever characters it holds."""
    steps: list[list[str]] = []
    if plan.secrets_to_create:
        steps.append([
            "Create each secret **without putting the value on a command line** (it would "
            "land in shell history and process lists): run the command, paste the value, then "
            "press Ctrl-D. Rotate the old credential: everyone who could describe the task "
            "definition has seen it.",
            *_commands([(["aws", "secretsmanager", "create-secret", "--name", _secret_name(r),
                          "--secret-string", "file:///dev/stdin"],)
                        for r in plan.secrets_to_create]),
            "", "   Then allow the task's execution role `secretsmanager:GetSecretValue` on them."])
    if plan.register_input is not None:
        steps.append(["Register the new revision:", *_commands([([
            "aws", "ecs", "register-task-definition", "--cli-input-json",
            "file://task-definition.json"],)])])
    if plan.security_groups:
        steps.append(["Change the security groups (`security-groups.json` holds the inputs; "
                      "each entry is allowed first, then the open range is revoked):",
                      *_commands(_security_group_commands(plan.security_groups))])
    if plan.update_service:
        roll_out: list[tuple[list[str], ...]] = [(
            ["aws", "ecs", "update-service", "--cli-input-json", "file://update-service.json"],)]
        wait = ["aws", "ecs", "wait", "services-stable", "--cluster",
                str(plan.update_service.get("cluster")), "--services",
                str(plan.update_service.get("service"))]
        try:
            command_line(wait)
            roll_out.append((wait,))
            text = "Roll it out, then wait for the deployment to finish:"
        except UnprintableArgument:
            text = ("Roll it out, then watch the deployment in the console (the cluster or "
                    "service name holds characters that cannot be shown on a command line):")
        steps.append([text, *_commands(roll_out)])
    lines = ["Run the commands in this folder."] if steps else []
    for number, (first, *rest) in enumerate(steps, 1):
        lines += ["", f"{number}. {first}", *rest]
    return lines


def render_plan_md(plan: ServicePlan) -> str:
    """The human-readable plan a platform engineer reviews. Every value from an input goes
    through the Markdown report's :func:`~ecs_exposure.reporters.markdown.md`, so a name
    cannot add a link, an image, a mention or HTML to the page."""
    finding = plan.finding
    lines = [f"# Fix plan: {md(plan.cluster)}/{md(plan.service)}", "",
             f"- Resource: {md(plan.arn)}",
             f"- Finding: **{finding.severity.name}** — {md(finding.title)}",
             f"- Why: {md(finding.why)}"]
    if plan.base_task_definition:
        lines.append(f"- New revision based on: {md(last_segment(plan.base_task_definition))}")
    lines += ["", "## Changes", "", "| # | Change | Traits | Confidence | Risk |",
              "|---|---|---|---|---|"]
    for index, change in enumerate(plan.changes, 1):
        lines.append(f"| {index} | {md(change.description)} | "
                     f"{', '.join(change.trait_ids)} | {change.confidence} | {md(change.risk)} |")
    lines += ["", "Confidence: `safe` — no behaviour change expected; `review` — removes the "
              "weakness but may affect the workload, test it; `manual` — needs a human "
              "decision, nothing was written for it.", "", "## How to apply", ""]
    lines += _how_to_apply(plan)
    if any(PLACEHOLDER in json.dumps(x) for x in (plan.register_input, plan.update_service)
           if x is not None):
        lines += ["", f"**Placeholders:** values marked `{PLACEHOLDER}` must be replaced before "
                  "these files are used."]
    text = diff(plan)
    if text:
        lines += ["", "## Task definition diff (credential values redacted)", "",
                  *_fence(safe(text), "diff")]
    manual = [c for c in plan.changes if c.confidence == "manual"]
    if manual or plan.notes or plan.dropped_fields:
        lines += ["", "## Needs a human", ""]
        lines += [f"- {md(c.description)}" for c in manual]
        lines += [f"- {md(n)}" for n in plan.notes]
        if plan.dropped_fields:
            lines.append("- Read-only fields dropped from the registered revision: "
                         + ", ".join(md(f) for f in plan.dropped_fields))
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
