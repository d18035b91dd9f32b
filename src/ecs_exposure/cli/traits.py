"""``ecs-exposure traits``: the trait catalog."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ecs_exposure.cli.options import output_option


@click.command()
@click.option("--format", "fmt", type=click.Choice(("table", "json", "markdown")),
              default="table", show_default=True, help="Output format.")
@output_option("Write the catalog to this file instead of standard output.")
def traits(fmt: str, output: Path | None) -> None:
    """List the trait catalog: ids, categories and when each fires."""
    import io

    from rich.console import Console
    from rich.table import Table

    from ecs_exposure.cli.output import writing_to
    from ecs_exposure.detectors.registry import catalog

    specs = catalog()
    if fmt == "json":
        import orjson

        text = orjson.dumps({"schema": "ecs-exposure/traits@1", "traits": [
            {"id": s.id, "title": s.title, "category": s.category, "contextual": s.contextual,
             "fires_when": s.fires_when, "references": list(s.references)} for s in specs]},
            option=orjson.OPT_INDENT_2).decode() + "\n"
    elif fmt == "markdown":
        text = "| id | category | contextual | fires when |\n|---|---|---|---|\n" + "".join(
            f"| `{s.id}` | {s.category} | {'yes' if s.contextual else 'no'} | {s.fires_when} |\n"
            for s in specs)
    else:
        table = Table("id", "category", "contextual", "fires when")
        for spec in specs:
            table.add_row(spec.id, spec.category, "yes" if spec.contextual else "no",
                          spec.fires_when)
        if output is None:
            Console().print(table)
            return
        buffer = io.StringIO()
        Console(file=buffer, width=120, color_system=None).print(table)
        text = buffer.getvalue()
    if output is None:
        sys.stdout.write(text)
        return
    with writing_to(output):
        output.write_text(text, encoding="utf-8")
