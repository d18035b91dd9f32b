"""Write fix plans to disk: per-service JSON inputs for the AWS CLI, PLAN.md, and plan.json.

Every JSON file is exactly the ``--cli-input-json`` of one AWS CLI call, so a reviewer can
apply a plan by hand, step by step, without this tool.

Names come from inputs, so each plan's folder is built to be safe and unique: a cluster or
service name made only of letters, digits, ``_`` and ``-`` is used as it is; any other name
becomes a readable slug plus ``+`` and a hash of the exact name (``+`` never appears in a
slug, so the two kinds cannot meet). Two plans whose folders would still coincide (the same
names in two accounts, names differing only in case on a case-insensitive disk) are told apart
the same way by their ARN. ``plan.json`` maps every service to its folder. Files are written
through :class:`~ecs_exposure.reporters.output_dir.OutputDir` (nothing below the folder is
followed), and files an earlier run left that this plan does not contain are listed in
``plan.json`` (``stale_files``) and reported, never deleted.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
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
from ecs_exposure.reporters.output_dir import OutputDir
from ecs_exposure.reporters.terminal import safe

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_PLAIN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,99}")
"""Names used as folder names as they are (ECS's own rule for cluster and service names,
shortened): no dot, so never ``.``, ``..``, a hidden name or one of our own files."""
_SLUG_LENGTH = 80
_HASH_LENGTH = 16
STALE_LISTED = 10
"""Stale files named in the warning (plan.json lists them all)."""


def _digest(text: str, length: int = _HASH_LENGTH) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:length]


def safe_name(name: str) -> str:
    """A path component for ``name`` that cannot escape the output folder and that no other
    name maps to: the name itself when plain, else a slug plus ``+`` and a hash of it."""
    if _PLAIN.fullmatch(name):
        return name
    slug = _UNSAFE.sub("_", name).strip("._")[:_SLUG_LENGTH] or "_"
    return f"{slug}+{_digest(name)}"


def plan_folders(plans: Iterable[ServicePlan]) -> dict[int, str]:
    """``id(plan)`` → ``<cluster>/<service>`` folder, unique even on a disk that ignores
    case; a plan whose folder is taken gets its service folder qualified by its ARN."""
    folders: dict[int, str] = {}
    taken: set[str] = set()
    for plan in plans:
        cluster, service = safe_name(plan.cluster), safe_name(plan.service)
        folder = f"{cluster}/{service}"
        if folder.casefold() in taken:
            qualified = _digest(f"{plan.arn}\0{plan.service}")
            folder = f"{cluster}/{service.split('+')[0]}+{qualified}"
            if folder.casefold() in taken:      # the same ARN planned twice: keep both
                folder += f"+{len(taken)}"
        taken.add(folder.casefold())
        folders[id(plan)] = folder
    return folders


def _dump(out: OutputDir, relative: str, data: Any) -> None:
    out.write_text(relative, json.dumps(data, indent=2) + "\n")


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
    """Write every plan with changes; returns the plan.json document (also written).

    Raises :class:`~ecs_exposure.reporters.output_dir.OutputError` when a link or another
    non-file stands where a plan file goes.
    """
    with_changes = [plan for plan in plans if plan.has_changes]
    folders = plan_folders(with_changes)
    with OutputDir(out) as folder:
        before, truncated = folder.existing()
        entries = []
        for plan in with_changes:
            directory = folders[id(plan)]
            files = []
            if plan.register_input is not None:
                _dump(folder, f"{directory}/task-definition.json", plan.register_input)
                files.append("task-definition.json")
            if plan.update_service is not None:
                _dump(folder, f"{directory}/update-service.json", plan.update_service)
                files.append("update-service.json")
            if plan.security_groups is not None:
                _dump(folder, f"{directory}/security-groups.json", plan.security_groups)
                files.append("security-groups.json")
            folder.write_text(f"{directory}/PLAN.md", render_plan_md(plan))
            files.append("PLAN.md")
            entries.append({
                "cluster": plan.cluster, "service": plan.service, "arn": plan.arn,
                "severity": plan.finding.severity.name,
                "directory": directory, "files": files,
                "changes": [asdict(c) for c in plan.changes],
            })
        stale = [name for name in before if name not in folder.written and name != "plan.json"]
        document: dict[str, Any] = {
            "schema": "ecs-exposure/fix-plan@1",
            "generated_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
            "plans": entries}
        if stale or truncated:
            document["stale_files"] = stale
            if truncated:
                document["stale_files_truncated"] = True
        _dump(folder, "plan.json", document)
    return document


def stale_warning(out: Path, document: dict[str, Any]) -> str | None:
    """One line telling the user which files in ``out`` an earlier run left that are not part
    of this plan (they are kept: the tool deletes nothing it did not write)."""
    stale: list[str] = document.get("stale_files") or []
    if not stale and not document.get("stale_files_truncated"):
        return None
    named = ", ".join(stale[:STALE_LISTED]) + (", …" if len(stale) > STALE_LISTED or
                                                 document.get("stale_files_truncated") else "")
    return (f"{len(stale)}{'+' if document.get('stale_files_truncated') else ''} file(s) in "
            f"{out} are not part of this plan (left by an earlier run or by someone else; "
            f"kept, listed in plan.json under stale_files): {named}")
