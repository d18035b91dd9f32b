"""``ecs-exposure history``: the scans a findings store holds."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from ecs_exposure.cli.options import output_option, store_option


@click.command()
@store_option
@click.option("--format", "fmt", type=click.Choice(("table", "json")), default="table",
              show_default=True, help="Output format.")
@click.option("--limit", type=click.IntRange(1), default=30, show_default=True,
              help="Show the last N scans.")
@output_option("Write the list to this file instead of standard output.")
def history(store_url: str | None, fmt: str, limit: int, output: Path | None) -> None:
    """List the scans recorded with `scan --store`, newest first, with their findings by
    state.

    \b
    Examples:
      ecs-exposure history
      ecs-exposure history --store postgresql://scanner@db.internal/ecs --format json
    """
    import orjson

    from ecs_exposure.cli.output import writing_to
    from ecs_exposure.store.engine import open_store
    from ecs_exposure.store.queries import list_scans, trend

    with open_store(store_url) as store:
        scans = list_scans(store, limit)
        counts = {c.scan_id: c for c in trend(store, limit)}
    rows: list[dict[str, Any]] = [
            {"scan": s.id, "recorded_at": s.recorded_at.isoformat(timespec="seconds") + "Z",
             "generated_at": s.generated_at, "duration_seconds": s.duration_seconds,
             "tool_version": s.tool_version, "complete": s.complete, "findings": s.findings,
             "states": counts[s.id].by_state if s.id in counts else {},
             "accounts": list(s.accounts), "regions": list(s.regions),
             "inputs": list(s.inputs)} for s in scans]
    if fmt == "json":
        text = orjson.dumps({"schema": "ecs-exposure/history@1", "store": store.name,
                             "scans": rows}, option=orjson.OPT_INDENT_2).decode() + "\n"
    else:
        text = _table(rows, store.name)
    if output is None:
        sys.stdout.write(text)
        return
    with writing_to(output):
        output.write_text(text, encoding="utf-8")


def _table(rows: list[dict[str, Any]], name: str) -> str:
    import io

    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from ecs_exposure.reporters.terminal import safe

    if not rows:
        return f"No scan recorded in {safe(name)} yet (ecs-exposure scan ... --store).\n"
    table = Table("scan", "recorded (UTC)", "findings", "new", "active", "regressed",
                  "resolved", "suppressed", "complete", "accounts", "regions",
                  title=Text(f"Scans in {safe(name)}"))
    for row in rows:
        states, accounts, regions = row["states"], row["accounts"], row["regions"]
        table.add_row(str(row["scan"]), str(row["recorded_at"]), str(row["findings"]),
                      *(str(states.get(k, 0)) for k in ("new", "active", "regressed",
                                                         "resolved", "suppressed")),
                      "yes" if row["complete"] else "no",
                      Text(safe(", ".join(accounts))), Text(safe(", ".join(regions))))
    buffer = io.StringIO()
    Console(file=buffer, width=140, color_system=None).print(table)
    return buffer.getvalue()
