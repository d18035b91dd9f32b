"""``ecs-exposure traits``: the trait catalog."""

from __future__ import annotations

import click


@click.command()
@click.option("--format", "fmt", type=click.Choice(("table", "markdown")), default="table")
def traits(fmt: str) -> None:
    """List the trait catalog: ids, categories and when each fires."""
    from rich.console import Console
    from rich.table import Table

    from ecs_exposure.detectors.registry import catalog

    specs = catalog()
    if fmt == "markdown":
        click.echo("| id | category | contextual | fires when |\n|---|---|---|---|")
        for spec in specs:
            click.echo(f"| `{spec.id}` | {spec.category} | {'yes' if spec.contextual else 'no'}"
                       f" | {spec.fires_when} |")
        return
    table = Table("id", "category", "contextual", "fires when")
    for spec in specs:
        table.add_row(spec.id, spec.category, "yes" if spec.contextual else "no", spec.fires_when)
    Console().print(table)
