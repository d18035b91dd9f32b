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
from collections.abc import Callable
from typing import IO, Any

from ecs_exposure import __version__
from ecs_exposure.exposure.compliance import ComplianceReport
from ecs_exposure.model import ScanResult, Trait
from ecs_exposure.reporters import status
from ecs_exposure.reporters.base import ReportOptions
from ecs_exposure.reporters.common import SEVERITY_ORDER, all_findings, truncate
from ecs_exposure.reporters.compliance_view import STATUS_LABELS, locator
from ecs_exposure.reporters.compliance_view import row as control_row
from ecs_exposure.reporters.context import ReportContext
from ecs_exposure.reporters.json_report import EVERY_FIELD, result_dict
from ecs_exposure.reporters.posture_view import KINDS, beyond_finding_dicts
from ecs_exposure.reporters.terminal import safe

TABLE_ROWS = 25
DETAILED = 5
POSTURE_ROWS = 15
"""Weaknesses counted in the posture table (the most severe, then the most frequent)."""
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
    muted = (count - summary["open"]["findings"] + summary["task_definition_findings"]
             - summary["open"]["task_definition_findings"])
    if muted:
        extra.append(f"{muted} finding{'s are' if muted != 1 else ' is'} suppressed as accepted "
                     "risk (listed, not counted for --fail-on)")
    if extra:
        lines += ["", "; ".join(extra).capitalize() + "."]
    compared = status.baseline_line(doc)
    if compared:
        lines += ["", md(compared) + "."]
    return lines


def _tags(finding: dict[str, Any]) -> str:
    """`` · suppressed`` and the baseline state (`` · new``), when there are any."""
    tags = ["suppressed"] if finding["status"] == "suppressed" else []
    if "baseline" in finding and finding["baseline"]["state"] != "unchanged":
        tags.append(finding["baseline"]["state"])
    return "".join(f" · *{tag}*" for tag in tags)


def _gone_and_rules(doc: dict[str, Any]) -> list[str]:
    """Baseline findings resolved since, and suppressions to review (unused, expired)."""
    lines: list[str] = []
    resolved = (doc.get("baseline") or {}).get("resolved", [])
    if resolved:
        lines += ["", f"### Resolved since the baseline ({len(resolved)})", ""]
        lines += [f"- {ICONS[p['severity']]} {p['severity']} {md(p['resource']['name'])}: "
                  f"{md(p['title'])}" for p in resolved[:TABLE_ROWS]]
        if len(resolved) > TABLE_ROWS:
            lines.append(f"- …and {len(resolved) - TABLE_ROWS} more")
    review = status.notable_rules(doc)
    if review:
        lines += ["", f"### Suppressions to review ({len(review)})", ""]
        lines += [f"- {md(status.rule_problem(rule))}" for rule in review]
    return lines


def _table(findings: list[dict[str, Any]]) -> list[str]:
    lines = ["", "| Severity | Service | Likelihood × impact | Traits |", "|---|---|---|---|"]
    for finding in findings[:TABLE_ROWS]:
        severity = finding["severity"]
        lines.append(f"| {ICONS[severity]} {severity}{_tags(finding)} | {_where(finding)} | "
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
    # raw HTML inside <summary>: entities only, and one line so it cannot end the HTML block;
    # a backslash does not escape in HTML, so an @ is kept from starting a mention by an
    # invisible word joiner after it
    summary = html.escape(" ".join(safe(f"{finding['severity']} — {finding['title']}").split())
                          ).replace("@", "@&#8288;")
    lines = ["", "<details>", f"<summary>{ICONS[finding['severity']]} {summary}</summary>", "",
             f"**Why:** {md(finding['why'])}", "",
             "**Attack path:** " + " → ".join(md(step) for step in finding["attack_path"]), "",
             "**Traits:**", ""]
    if finding["status"] == "suppressed":
        lines[4:4] = [f"**Suppressed:** {md(status.finding_reasons(finding))}", ""]
    for trait in finding["traits"]:
        marker = " *(contextual)*" if trait["contextual"] else ""
        if trait["status"] == "suppressed":
            marker += f" *(suppressed: {md(trait['suppressed_by']['reason'])})*"
        lines.append(f"- `{trait['id']}`{marker}: {md(trait['evidence']['detail'])}"
                     f"{_location(trait)}")
    lines += ["", f"**Fix:** {md(finding['remediation']['summary'])}", "", "</details>"]
    return lines


def _posture(doc: dict[str, Any], only: str | None) -> list[str]:
    """Posture counts, and the most frequent weaknesses (worst first); how many no finding
    lists, unless the findings were left out (``only``)."""
    summary = doc["summary"]["posture"]
    lines = ["", "### Posture: every weakness of every resource", ""]
    if not summary["traits"]:
        return lines + ["No weakness found."]
    types = ", ".join(f"{n} {KINDS[kind]}{'s' * (n != 1)}"
                      for kind, n in summary["by_type"].items() if n)
    severities = " · ".join(f"**{n} {name}**" if n else f"{n} {name}"
                            for name, n in summary["by_severity"].items())
    beyond = "" if only == "posture" else \
        f"; {sum(1 for _ in beyond_finding_dicts(doc))} in no exposure finding"
    muted = sum(1 for e in doc["posture"] for t in e["traits"] if t["status"] == "suppressed")
    beyond += f"; {muted} suppressed" if muted else ""
    lines.append(f"{summary['traits']} weakness{'es' * (summary['traits'] != 1)} on "
                 f"{summary['resources']} resource{'s' * (summary['resources'] != 1)} "
                 f"({types}): {severities}{beyond}.")
    counts: dict[tuple[str, str], set[str]] = {}
    for entry in doc["posture"]:
        for trait in entry["traits"]:
            counts.setdefault((trait["id"], trait["severity"]), set()).add(entry["id"])
    ranked = sorted(counts.items(), key=lambda item: (
        SEVERITY_ORDER.index(item[0][1]), -len(item[1]), item[0][0]))
    lines += ["", "| Weakness | Severity | Resources |", "|---|---|---|"]
    lines += [f"| `{trait_id}` | {severity} | {len(entries)} |"
              for (trait_id, severity), entries in ranked[:POSTURE_ROWS]]
    if len(ranked) > POSTURE_ROWS:
        lines.append(f"\n…and {len(ranked) - POSTURE_ROWS} more in the full report.")
    return lines


def _compliance(report: ComplianceReport, locate: Callable[[Trait], str]) -> list[str]:
    """One framework: counts, a row per control, then what the tool does not cover."""
    counts = report.counts()
    lines = ["", f"### Compliance: {md(report.framework.title)}", "",
             f"**{counts['fail']} fail** · {counts['not-evaluated']} not evaluated · "
             f"{counts['pass']} pass" + (f" · {counts['not-covered']} not covered by this tool"
                                         if counts["not-covered"] else ""),
             "", "| Control | Status | Failing resources | Evidence |", "|---|---|---|---|"]
    for result in report.controls:
        row = control_row(result, locate)
        evidence = "<br>".join(
            f"`{e.trait}` on {e.resources} resource{'s' * (e.resources != 1)}: "
            f"{md(e.detail)} ({md(e.location)})"
            for e in row.evidence) or md(row.reason)
        lines.append(f"| {md(row.control)} | {STATUS_LABELS[row.status]} | "
                     f"{md(row.resources)} | {evidence} |")
    if report.uncovered:
        lines += ["", "Not covered: " + "; ".join(
            f"{md(u.control.id)} {md(u.control.title)} ({md(u.reason)})"
            for u in report.uncovered) + "."]
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


def render(result: ScanResult, context: ReportContext | None = None,
           compliance: tuple[ComplianceReport, ...] = (), only: str | None = None) -> str:
    """The Markdown comment (``compliance``: the ``--compliance`` reports to add; ``only``:
    the part of the result ``--only`` kept)."""
    doc = result_dict(result, context, include=EVERY_FIELD)
    findings = all_findings(doc)
    # open first, then by severity; stable, so the ranking within is kept
    findings.sort(key=lambda f: (f["status"] == "suppressed",
                                 SEVERITY_ORDER.index(f["severity"])))
    if only == "posture":
        lines = [f"## ecs-exposure: posture of {doc['summary']['services']} services and "
                 f"{doc['summary']['task_definitions']} task definitions"]
    elif not findings:
        lines = _summary(doc)
        lines += ["", "No exposure found."]
    else:
        lines = _summary(doc)
        lines += _table(findings)
        lines += ["", f"### Top {min(DETAILED, len(findings))} findings"]
        for finding in findings[:DETAILED]:
            lines += _details(finding)
    if only != "findings":
        lines += _posture(doc, only)
    locate = locator((context or ReportContext()).positions)
    for report in compliance:
        lines += _compliance(report, locate)
    lines += _gone_and_rules(doc)
    lines += _errors(doc)
    lines += ["", f"<sub>ecs-exposure {__version__} · {md(doc['generated_at'])}</sub>", ""]
    return "\n".join(lines)


def write(result: ScanResult, stream: IO[str], options: ReportOptions, /) -> None:
    """The reporter interface (:mod:`ecs_exposure.reporters.base`)."""
    stream.write(render(result, options.context, options.compliance, options.only))
