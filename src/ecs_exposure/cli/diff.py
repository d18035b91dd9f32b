"""``ecs-exposure diff``: what changed between two scans of a findings store."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ecs_exposure.cli.options import output_option, store_option

if TYPE_CHECKING:
    from ecs_exposure.store.diff import Change, ScanDiff

HEADINGS = {"new": "New", "regressed": "Regressed (back after being resolved)",
            "resolved": "Resolved", "unverified": "Gone from a scope that could not be read "
            "whole (not resolved)", "changed": "Severity changed", "active": "Still open"}


@click.command()
@click.argument("scan_a", type=click.IntRange(1), required=False)
@click.argument("scan_b", type=click.IntRange(1), required=False)
@store_option
@click.option("--format", "fmt", type=click.Choice(("table", "json", "markdown")),
              default="table", show_default=True,
              help="Output format (markdown: for a pull-request or chat message).")
@output_option("Write the diff to this file instead of standard output.")
def diff(scan_a: int | None, scan_b: int | None, store_url: str | None, fmt: str,
         output: Path | None) -> None:
    """Show what changed between two recorded scans (default: the last two; one SCAN: it
    and the scan before it): new, regressed, resolved and changed-severity findings.

    \b
    Examples:
      ecs-exposure diff
      ecs-exposure diff 12 15 --format markdown --output comment.md
      ecs-exposure diff --store postgresql://scanner@db.internal/ecs --format json
    """
    from ecs_exposure.cli.output import writing_to
    from ecs_exposure.store.diff import diff as compare
    from ecs_exposure.store.diff import scans_to_compare
    from ecs_exposure.store.engine import open_store

    with open_store(store_url) as store:
        older, newer = scans_to_compare(store, scan_a, scan_b)
        changes = compare(store, older, newer)
    text = {"json": _json, "markdown": _markdown, "table": _table}[fmt](changes)
    if output is None:
        sys.stdout.write(text)
        return
    with writing_to(output):
        output.write_text(text, encoding="utf-8")


def _change_dict(change: Change) -> dict[str, Any]:
    return {"id": change.id, "title": change.title, "severity": change.severity.name,
            "previous_severity": change.previous.name if change.previous else None,
            "resource": {"type": change.resource_type, "arn": change.arn,
                         "name": change.name, "cluster": change.cluster,
                         "account": change.account, "region": change.region}}


def _json(changes: ScanDiff) -> str:
    import orjson

    def scan(info: Any) -> dict[str, Any]:
        return {"id": info.id, "generated_at": info.generated_at, "complete": info.complete}

    return orjson.dumps({
        "schema": "ecs-exposure/diff@1", "older": scan(changes.older),
        "newer": scan(changes.newer),
        "counts": {kind: len(items) for kind, items in changes.groups.items()},
        **{kind: [_change_dict(c) for c in items] for kind, items in changes.groups.items()},
    }, option=orjson.OPT_INDENT_2).decode() + "\n"


def _counts(changes: ScanDiff) -> str:
    return ", ".join(f"{len(items)} {kind}" for kind, items in changes.groups.items())


def _severity(change: Change) -> str:
    if change.previous is not None and change.previous != change.severity:
        return f"{change.previous.name} → {change.severity.name}"
    return change.severity.name


def _markdown(changes: ScanDiff) -> str:
    from ecs_exposure.reporters.markdown import ICONS, md

    lines = [f"### ecs-exposure: scan {changes.older.id} → scan {changes.newer.id}", "",
             f"**{md(_counts(changes))}**", ""]
    for kind, items in changes.groups.items():
        if not items or kind == "active":
            continue
        lines += [f"#### {HEADINGS[kind]} ({len(items)})", "",
                  "| severity | finding | resource | account / region |", "|---|---|---|---|"]
        lines += [f"| {ICONS[c.severity.name]} {md(_severity(c))} | {md(c.title)} "
                  f"| {md(c.arn)} | {md(c.account or '-')} / {md(c.region or '-')} |"
                  for c in items]
        lines.append("")
    return "\n".join(lines) + "\n"


def _table(changes: ScanDiff) -> str:
    import io

    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from ecs_exposure.reporters.terminal import safe

    buffer = io.StringIO()
    console = Console(file=buffer, width=140, color_system=None)
    console.print(Text(f"Scan {changes.older.id} → scan {changes.newer.id}: "
                       f"{_counts(changes)}"))
    for kind, items in changes.groups.items():
        if not items or kind == "active":
            continue
        table = Table("severity", "finding", "resource", "account / region",
                      title=Text(f"{HEADINGS[kind]} ({len(items)})"), title_justify="left")
        for c in items:
            table.add_row(_severity(c), Text(safe(c.title)), Text(safe(c.arn)),
                          Text(safe(f"{c.account or '-'} / {c.region or '-'}")))
        console.print(table)
    return buffer.getvalue()
