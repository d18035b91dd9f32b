"""Terminal output: a ranked table, then details on request.

Every value from an input is passed through :func:`safe` and rendered as rich ``Text`` (never
as markup), so a resource name holding terminal escape sequences or ``[bold]`` cannot restyle
or take over the user's terminal.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable
from typing import TextIO

from rich import box
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ecs_exposure.analysis.secrets import mask
from ecs_exposure.detectors.registry import SPECS
from ecs_exposure.exposure.compliance import ComplianceReport
from ecs_exposure.exposure.vulnerabilities import top_vulnerabilities
from ecs_exposure.model import (
    BASELINE_STATES,
    IMPACT_NAMES,
    LIKELIHOOD_NAMES,
    Finding,
    ScanResult,
    Severity,
    Suppression,
    Trait,
)
from ecs_exposure.reporters import compliance_view, posture_view, status
from ecs_exposure.reporters.base import ReportOptions
from ecs_exposure.reporters.context import ReportContext
from ecs_exposure.reporters.inert import ESCAPED_CATEGORIES as ESCAPED_CATEGORIES
from ecs_exposure.reporters.inert import safe as safe
from ecs_exposure.sources.positions import PositionCache

STYLES = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFORMATIONAL: "dim",
}


def _top_traits(finding: Finding, limit: int = 4) -> str:
    ids = [t.id for t in finding.traits if not SPECS[t.id].contextual]
    unique = list(dict.fromkeys(ids))
    more = len(unique) - limit
    return ", ".join(unique[:limit]) + (f" (+{more})" if more > 0 else "")


def _table(title: str, findings: tuple[Finding, ...], cluster: bool) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, expand=False)
    table.add_column("Severity", no_wrap=True)
    table.add_column("Cluster/service" if cluster else "Task definition", overflow="fold",
                     max_width=40)
    table.add_column("Likelihood × impact", max_width=12)
    table.add_column("Top traits", ratio=1, overflow="fold")
    for finding in findings:
        name = f"{finding.cluster}/{finding.name}" if cluster else finding.name
        label = Text(safe(name))
        if finding.incomplete:
            label.append(" (incomplete)", style="bold yellow")
        if finding.suppressed_by:
            label.append(" (suppressed)", style="dim")
        if finding.baseline is not None and finding.baseline != "unchanged":
            label.append(f" ({finding.baseline})",
                         style="bold" if finding.baseline in ("new", "worse") else "dim")
        row = [Text(finding.severity.name, style=STYLES[finding.severity]), label]
        row += [Text(f"{LIKELIHOOD_NAMES[finding.likelihood]} × {IMPACT_NAMES[finding.impact]}"),
                Text(_top_traits(finding))]
        table.add_row(*row)
    return table


def _location(trait: Trait, positions: PositionCache) -> str | None:
    """``file:line:column`` of the evidence, when it came from a file."""
    if not trait.source:
        return None
    position = positions.locate(trait.source, trait.file_pointer) \
        if trait.file_pointer is not None else None
    return f"{trait.source}:{position.line}:{position.column}" if position else trait.source


def _note(rule: Suppression) -> str:
    return safe(status.rule_note(status.suppression_dict(rule)))


def _details(finding: Finding, positions: PositionCache) -> Panel:
    body = Text()
    if finding.suppressed_by:
        body.append("Suppressed: ", style="bold")
        body.append("; ".join(_note(rule) for rule in finding.suppressed_by) + "\n\n")
    body.append("Why: ", style="bold")
    body.append(safe(finding.why) + "\n\n")
    body.append("Attack path:\n", style="bold")
    for step in finding.attack_path:
        body.append(f"  → {safe(step)}\n")
    body.append("\nTraits:\n", style="bold")
    for index, trait in enumerate(finding.traits):
        spec = SPECS[trait.id]
        body.append(f"  • {trait.id}", style="dim" if spec.contextual else "bold")
        body.append(f"  {safe(trait.detail)}\n")
        rule = finding.trait_suppression(index)
        if rule is not None:
            body.append(f"      suppressed: {_note(rule)}\n", style="dim")
        body.append(f"      at {safe(trait.resource)}#{safe(trait.pointer)}\n", style="dim")
        where = _location(trait, positions)
        if where:
            body.append(f"      in {safe(where)}\n", style="dim")
    top = top_vulnerabilities(finding.vulnerabilities)
    if top:
        body.append("\nTop vulnerabilities:\n", style="bold")
        for container, item in top:
            why = "; ".join(item.reasons)
            body.append(f"  • {safe(item.label())}", style="bold" if item.exploitable else "")
            body.append(f"  {item.record.severity.lower()}, container {safe(container)}"
                        + (f", {safe(why)}" if why else "") + "\n")
    body.append("\nFix: ", style="bold")
    body.append(safe(finding.remediation_summary))
    if finding.incomplete:
        body.append("\n\nIncomplete (could not be read): ", style="bold yellow")
        body.append(safe("; ".join(finding.incomplete)))
    return Panel(body, title=Text(f"{finding.severity.name}  {safe(finding.title)}",
                                  style=STYLES[finding.severity]), title_align="left")


def _vulnerability_data(result: ScanResult) -> str:
    """One line on the vulnerability inputs, so a clean result is not mistaken for a scan."""
    parts = [f"{result.vulnerability_reports} image vulnerability reports"]
    if result.unscanned_images:
        parts.append(f"{len(result.unscanned_images)} images in use without a report")
    for info in result.intel:
        name = "EPSS scores" if info.kind == "epss" else "CISA KEV catalog"
        parts.append(f"{name} {safe(info.version or '')} dated {safe(info.date or '?')}")
    return "Vulnerability data: " + "; ".join(parts) + "."


def _baseline_line(result: ScanResult) -> Text | None:
    """What changed since ``--baseline``: counts, then each resolved finding."""
    if result.baseline is None:
        return None
    counts = dict.fromkeys(BASELINE_STATES, 0)
    for finding in result.findings + result.task_definition_findings:
        if finding.baseline in counts:
            counts[finding.baseline] += 1
    line = Text(f"Since the baseline {safe(result.baseline.source)}: ")
    line.append(f"{counts['new']} new", style="bold" if counts["new"] else "dim")
    line.append(f", {counts['worse']} worse", style="bold" if counts["worse"] else "dim")
    line.append(f", {counts['better']} better, {counts['unchanged']} unchanged, "
                f"{len(result.baseline.resolved)} resolved")
    if result.baseline.unverified:
        line.append(f", {len(result.baseline.unverified)} gone but not verified (scope not "
                    "fully read)", style="yellow")
    for gone in result.baseline.resolved:
        line.append(f"\n  resolved: {gone.severity.name} {safe(gone.name)} "
                    f"({safe(gone.title)})", style="dim")
    return line


def _review(result: ScanResult) -> list[Text]:
    """Suppressions that matched nothing (stale or mistyped); expired ones are errors."""
    unused = [use.rule for use in result.suppressions if use.state == "unused"]
    if not unused:
        return []
    lines = Text(f"Unused suppressions ({len(unused)}):\n", style="bold yellow")
    for rule in unused:
        lines.append(f"  {safe(rule.describe())} matched nothing (reason: "
                     f"{safe(rule.reason)})\n", style="yellow")
    return [lines]


def _posture_line(result: ScanResult, only: str | None) -> Text:
    """One line on the posture: how many weaknesses, how severe, how many no finding lists."""
    summary = posture_view.summary(result.posture)
    line = Text(f"Posture: {summary['traits']} weaknesses on {summary['resources']} "
                "resources (")
    for index, severity in enumerate(posture_view.SEVERITIES):
        count = summary["by_severity"][severity.name]
        line.append(f"{count} {severity.name}", style=STYLES[severity] if count else "dim")
        line.append(", " if index < len(posture_view.SEVERITIES) - 1 else ")")
    if only != "posture":
        beyond = sum(1 for _ in posture_view.beyond_findings(result))
        line.append(f"; {beyond} in no finding")
    muted = sum(1 for e in result.posture for rule in e.trait_suppressions if rule)
    if muted:
        line.append(f"; {muted} suppressed", style="dim")
    counts = Counter(t.id for e in result.posture for t in e.traits)
    if counts:
        line.append(": " + ", ".join(f"{safe(trait_id)} ×{n}"
                                     for trait_id, n in counts.most_common(POSTURE_IDS)))
        line.append(" …" if len(counts) > POSTURE_IDS else "")
    line.append(" — every one is in --format json, html, csv and sarif.", style="dim")
    return line


POSTURE_IDS = 6
"""Weaknesses named in the terminal's posture line (the most frequent)."""


def _compliance_table(report: ComplianceReport, locate: Callable[[Trait], str]) -> Table:
    counts = report.counts()
    table = Table(title=f"{report.framework.title}: {counts['fail']} fail, "
                  f"{counts['not-evaluated']} not evaluated, {counts['pass']} pass"
                  + (f", {counts['not-covered']} not covered" if counts["not-covered"] else ""),
                  box=box.SIMPLE_HEAVY, title_justify="left", show_lines=True)
    table.add_column("Control", overflow="fold", max_width=44)
    table.add_column("Status", no_wrap=True)
    table.add_column("Failing resources", overflow="fold", max_width=40)
    table.add_column("Evidence", overflow="fold")
    for result in report.controls:
        shown = compliance_view.row(result, locate)
        evidence = "\n".join(f"{e.trait} on {e.resources} resource"
                             f"{'s' * (e.resources != 1)}: {e.detail}"
                             for e in shown.evidence) or shown.reason
        table.add_row(Text(safe(shown.control)), Text(shown.status, style=_STATUS[shown.status]),
                      Text(safe(shown.resources)), Text(safe(evidence)))
    return table


_STATUS = {"fail": "bold red", "pass": "green", "not-evaluated": "dim"}


def write(result: ScanResult, stream: TextIO, options: ReportOptions) -> None:
    """The reporter interface: on standard output the table takes the terminal's width and
    colours; in a file it is plain text :func:`render_text` wide."""
    if options.terminal:
        render(result, Console(file=stream, highlight=False), details=options.details,
               context=options.context, compliance=options.compliance, only=options.only)
    else:
        stream.write(render_text(result, details=options.details, context=options.context,
                                 compliance=options.compliance, only=options.only))


def render_text(result: ScanResult, *, details: bool = False, width: int = 140,
                context: ReportContext | None = None,
                compliance: tuple[ComplianceReport, ...] = (), only: str | None = None) -> str:
    """The table as plain text (no colour), for files under ``--output-dir``."""
    console = Console(width=width, no_color=True, highlight=False, record=True,
                      file=io.StringIO())
    render(result, console, details=details, context=context, compliance=compliance,
           only=only)
    return console.export_text()


def render(result: ScanResult, console: Console, *, details: bool = False,
           context: ReportContext | None = None,
           compliance: tuple[ComplianceReport, ...] = (), only: str | None = None) -> None:
    """Print the ranked tables, a posture line, the ``compliance`` reports, problems with
    inputs, and (optionally) per-finding details with their evidence positions (from
    ``context``, else located from the input files). ``only``: the part ``--only`` kept."""
    if only != "posture":
        _findings(result, console, details, context)
    if only != "findings":
        console.print(_posture_line(result, only))
    locate = compliance_view.locator((context or ReportContext()).positions)
    for report in compliance:
        console.print(_compliance_table(report, locate))
        if report.uncovered:
            console.print(Text("Not covered: " + "; ".join(
                f"{u.control.id} ({u.reason})" for u in report.uncovered), style="dim"))
    _problems(result, console)


def _findings(result: ScanResult, console: Console, details: bool,
              context: ReportContext | None) -> None:
    counts = {s: 0 for s in (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW)}
    for finding in result.findings:
        counts[finding.severity] += 1
    summary = Text(f"{result.services} services, {len(result.findings)} findings: ")
    for index, (severity, count) in enumerate(counts.items()):
        summary.append(f"{count} {severity.name}", style=STYLES[severity] if count else "dim")
        summary.append(", " if index < len(counts) - 1 else "")
    if result.incomplete:
        summary.append(f"; {len(result.incomplete)} incomplete", style="bold yellow")
    muted = sum(1 for f in result.findings + result.task_definition_findings if f.suppressed_by)
    if muted:
        summary.append(f"; {muted} suppressed (not counted for --fail-on)", style="dim")
    console.print(summary)
    compared = _baseline_line(result)
    if compared is not None:
        console.print(compared)
    if result.findings:
        console.print(_table("Exposures by service", result.findings, cluster=True))
    if result.task_definition_findings:
        console.print(_table("Task definitions no service runs (reachability unknown)",
                             result.task_definition_findings, cluster=False))
    if details:
        positions = (context or ReportContext()).evidence_positions(result)
        for finding in result.findings + result.task_definition_findings:
            console.print(_details(finding, positions))
    elif result.findings or result.task_definition_findings:
        console.print(Text("Run with --details for the attack path, evidence and fix of each "
                           "finding.", style="dim"))


def _problems(result: ScanResult, console: Console) -> None:
    vulnerability_line = _vulnerability_data(result)
    if vulnerability_line:
        console.print(Text(vulnerability_line, style="dim"))
    group = []
    for label, items, style in (("Errors", result.errors, "red"),
                                ("Skipped", result.skipped, "dim")):
        if items:
            lines = Text(f"{label} ({len(items)}):\n", style=f"bold {style}")
            for item in items:
                lines.append(f"  {safe(item.source)}: {safe(mask(item.message))}\n", style=style)
            group.append(lines)
    group += _review(result)
    if result.incomplete:
        note = Text(f"Incomplete — could not be fully read, not assessed as clean "
                    f"({len(result.incomplete)}):\n", style="bold yellow")
        for entry in result.incomplete:
            note.append(f"  {safe(entry.resource)}: {safe('; '.join(entry.reasons))}\n",
                        style="yellow")
        group.append(note)
    if group:
        console.print(Group(*group))
