"""Markdown: a summary and the top findings, sized for a pull-request comment.

GitHub renders comments up to 65,536 characters; the table lists at most :data:`TABLE_ROWS`
findings and the details (why, attack path, traits, fix) are given for the top
:data:`DETAILED` only, each folded in a ``<details>`` block, with a pointer to the full report
for the rest.

Every value from an input is escaped: HTML special characters become entities (no tags, no
images that call home), Markdown punctuation that could start a link, emphasis, a table cell
(``|``) or a mention (``@``) is backslash-escaped, and a value cannot start a heading, list or
quote. Newlines are folded so a value cannot break out of its table row, and control and
bidi-override characters are shown as escapes.

Example::

    ## ecs-exposure: 10 exposures in 12 services
    **3 HIGH** · **6 MEDIUM** · **1 LOW**

    | Severity | Service | Likelihood × impact | Traits |
    |---|---|---|---|
    | 🔴 HIGH | prod/storefront\\-web | moderate × high | `privileged-container`, … |
"""

from __future__ import annotations

import html
import re
from typing import Any

from ecs_exposure import __version__
from ecs_exposure.model import ScanResult
from ecs_exposure.reporters.base import writes_text
from ecs_exposure.reporters.common import SEVERITY_ORDER, all_findings, truncate
from ecs_exposure.reporters.context import ReportContext
from ecs_exposure.reporters.json_report import result_dict
from ecs_exposure.reporters.terminal import safe

TABLE_ROWS = 25
DETAILED = 5
ERRORS_SHOWN = 20
"""Input errors listed by name; the rest are counted (the JSON report has them all)."""
TEXT_MAX = 1500
"""Longest single value (a why, a detail) shown; keeps one hostile value from filling the
comment."""
ICONS = {"CRITICAL": "🟣", "HIGH": "🔴", "MEDIUM": "🟠", "LOW": "🟡", "INFORMATIONAL": "⚪"}
_SPECIAL = re.compile(r"([\\`*_\[\]|~@])")
_LINE_START = re.compile(r"^(?:[#+\->=]|\d+[.)])")


def md(value: object) -> str:
    """Input text as inert inline Markdown (safe inside a table cell or a list item)."""
    text = truncate(" ".join(safe(value).split()), TEXT_MAX)
    text = _SPECIAL.sub(r"\\\1", html.escape(text, quote=False))
    return "\\" + text if _LINE_START.match(text) else text


def _traits(finding: dict[str, Any], limit: int = 4) -> str:
    ids = list(dict.fromkeys(t["id"] for t in finding["traits"] if not t["contextual"]))
    shown = ", ".join(f"`{trait_id}`" for trait_id in ids[:limit])
    return shown + (f" (+{len(ids) - limit})" if len(ids) > limit else "")


def _where(finding: dict[str, Any]) -> str:
    resource = finding["resource"]
    if resource["type"] != "AwsEcsService":
        return f"{md(resource['name'])} (task definition)"
    return md(f"{resource['cluster']}/{resource['name']}" if resource["cluster"]
              else resource["name"])


def _summary(doc: dict[str, Any]) -> list[str]:
    summary = doc["summary"]
    count = summary["findings"]
    lines = [f"## ecs-exposure: {count} exposure{'s' * (count != 1)} in "
             f"{summary['services']} service{'s' * (summary['services'] != 1)}", ""]
    severities = [f"**{n} {name}**" if n else f"{n} {name}"
                  for name, n in summary["by_severity"].items()]
    lines.append(" · ".join(severities))
    extra = []
    if summary["task_definition_findings"]:
        n = summary["task_definition_findings"]
        extra.append(f"{n} task definition{'s' * (n != 1)} that no service runs "
                     f"{'have' if n != 1 else 'has'} findings too")
    if doc["errors"]:
        extra.append(f"{len(doc['errors'])} input{'s' * (len(doc['errors']) != 1)} could not "
                     "be read")
    if extra:
        lines += ["", "; ".join(extra).capitalize() + "."]
    return lines


def _table(findings: list[dict[str, Any]]) -> list[str]:
    lines = ["", "| Severity | Service | Likelihood × impact | Traits |", "|---|---|---|---|"]
    for finding in findings[:TABLE_ROWS]:
        severity = finding["severity"]
        lines.append(f"| {ICONS[severity]} {severity} | {_where(finding)} | "
                     f"{finding['likelihood']} × {finding['impact']} | {_traits(finding)} |")
    if len(findings) > TABLE_ROWS:
        lines.append(f"\n…and {len(findings) - TABLE_ROWS} more in the full report.")
    return lines


def _location(trait: dict[str, Any]) -> str:
    evidence = trait["evidence"]
    location = evidence.get("location")
    if location:
        return f" ({md(location['file'])} line {location['line']})"
    return f" ({md(trait['resource'])} {md(evidence['pointer'])})"


def _details(finding: dict[str, Any]) -> list[str]:
    # raw HTML inside <summary>: entities only, and one line so it cannot end the HTML block
    summary = html.escape(" ".join(safe(f"{finding['severity']} — {finding['title']}").split()))
    lines = ["", "<details>", f"<summary>{ICONS[finding['severity']]} {summary}</summary>", "",
             f"**Why:** {md(finding['why'])}", "",
             "**Attack path:** " + " → ".join(md(step) for step in finding["attack_path"]), "",
             "**Traits:**", ""]
    for trait in finding["traits"]:
        marker = " *(contextual)*" if trait["contextual"] else ""
        lines.append(f"- `{trait['id']}`{marker}: {md(trait['evidence']['detail'])}"
                     f"{_location(trait)}")
    lines += ["", f"**Fix:** {md(finding['remediation']['summary'])}", "", "</details>"]
    return lines


def _errors(doc: dict[str, Any]) -> list[str]:
    """The inputs that could not be read, so a reviewer does not take a partial scan for a
    clean one."""
    errors = doc["errors"]
    if not errors:
        return []
    lines = ["", f"### Inputs that could not be read ({len(errors)})", ""]
    lines += [f"- {md(e['source'])}: {md(e['message'])}" for e in errors[:ERRORS_SHOWN]]
    if len(errors) > ERRORS_SHOWN:
        lines.append(f"- …and {len(errors) - ERRORS_SHOWN} more in the full report.")
    return lines


def render(result: ScanResult, context: ReportContext | None = None) -> str:
    """The Markdown comment."""
    doc = result_dict(result, context)
    findings = all_findings(doc)
    findings.sort(key=lambda f: SEVERITY_ORDER.index(f["severity"]))  # stable: keeps ranking
    lines = _summary(doc)
    if not findings:
        lines += ["", "No exposure found."]
    else:
        lines += _table(findings)
        lines += ["", f"### Top {min(DETAILED, len(findings))} findings"]
        for finding in findings[:DETAILED]:
            lines += _details(finding)
    lines += _errors(doc)
    lines += ["", f"<sub>ecs-exposure {__version__} · {md(doc['generated_at'])}</sub>", ""]
    return "\n".join(lines)


write = writes_text(render)
"""The reporter interface (:mod:`ecs_exposure.reporters.base`)."""
