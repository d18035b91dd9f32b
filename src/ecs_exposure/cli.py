"""Commands only: parse arguments, call the library, choose a reporter, set the exit code.

Exit codes: 0 no finding at or above ``--fail-on``; 1 a finding reached it; 2 usage error or
no input could be read.
"""

from __future__ import annotations

import sys
from contextlib import ExitStack
from importlib.resources import as_file, files
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from ecs_exposure import __version__
from ecs_exposure.detectors.registry import catalog
from ecs_exposure.inventory import Inventory
from ecs_exposure.model import ScanResult, Severity
from ecs_exposure.reporters import json_report, terminal
from ecs_exposure.scan import scan_inventory
from ecs_exposure.sources.files import LoadReport, iter_files, load_paths

FORMATS = ("table", "json")
FAIL_ON = ("critical", "high", "medium", "low", "none")
_PROGRESS_THRESHOLD = 20


def _load(paths: list[Path], stderr: Console) -> tuple[Inventory, LoadReport]:
    """Load inputs, with a progress bar on a terminal when there are many files."""
    inventory = Inventory()
    files_list = list(iter_files(paths))
    if stderr.is_terminal and len(files_list) >= _PROGRESS_THRESHOLD:
        with Progress(TextColumn("Reading inputs"), BarColumn(), MofNCompleteColumn(),
                      console=stderr, transient=True) as progress:
            task = progress.add_task("read", total=len(files_list))
            report = load_paths(files_list, inventory,
                                on_file=lambda _path: progress.advance(task))
    else:
        report = load_paths(files_list, inventory)
    return inventory, report


def _write(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


def _exit_code(result: ScanResult, fail_on: str) -> int:
    if fail_on == "none":
        return 0
    threshold = Severity.parse(fail_on)
    worst = [f.severity for f in result.findings + result.task_definition_findings]
    return 1 if worst and max(worst) >= threshold else 0


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ecs-exposure")
def main() -> None:
    """Find, rank and fix the security exposures of Amazon ECS services."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--demo", is_flag=True, help="Scan the bundled demo estate.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="Output format (default: table on a terminal, json otherwise).")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the report to this file instead of standard output.")
@click.option("--fail-on", type=click.Choice(FAIL_ON, case_sensitive=False), default="none",
              show_default=True, help="Exit 1 when a finding reaches this severity.")
@click.option("--details", is_flag=True, help="Table format: show why, attack path and fix.")
def scan(paths: tuple[Path, ...], demo: bool, fmt: str | None, output: Path | None,
         fail_on: str, details: bool) -> None:
    """Scan AWS CLI JSON exports (files or directories) for ECS service exposures.

    \b
    Examples:
      ecs-exposure scan --demo
      ecs-exposure scan ./exports/ --format json --output result.json --fail-on high
    """
    if not paths and not demo:
        raise click.UsageError("give at least one file or directory to scan, or --demo")
    stderr = Console(stderr=True)
    with ExitStack() as stack:
        inputs = list(paths)
        if demo:
            demo_dir = stack.enter_context(as_file(files("ecs_exposure") / "demo"))
            inputs += sorted(p for p in demo_dir.iterdir() if p.is_dir())  # not its README
        inventory, report = _load(inputs, stderr)
        if not report.read:
            for problem in report.errors + report.skipped:
                stderr.print(f"[red]error:[/red] {terminal.safe(problem.source)}: "
                             f"{terminal.safe(problem.message)}", markup=True, highlight=False)
            stderr.print("error: no input could be read", style="red")
            sys.exit(2)
        result = scan_inventory(inventory, errors=report.errors, skipped=report.skipped,
                                inputs=[str(p) for p in inputs])
    chosen = fmt or ("table" if output is None and sys.stdout.isatty() else "json")
    if chosen == "json":
        _write(json_report.render(result), output)
    else:
        if output is None:
            terminal.render(result, Console(highlight=False), details=details)
        else:
            with output.open("w", encoding="utf-8") as handle:
                terminal.render(result, Console(file=handle, width=140, highlight=False,
                                                no_color=True), details=details)
    sys.exit(_exit_code(result, fail_on.lower()))


@main.command()
@click.option("--format", "fmt", type=click.Choice(("table", "markdown")), default="table")
def traits(fmt: str) -> None:
    """List the trait catalog: ids, categories and when each fires."""
    specs = catalog()
    if fmt == "markdown":
        click.echo("| id | category | contextual | fires when |\n|---|---|---|---|")
        for spec in specs:
            click.echo(f"| `{spec.id}` | {spec.category} | {'yes' if spec.contextual else 'no'}"
                       f" | {spec.fires_when} |")
        return
    from rich.table import Table

    table = Table("id", "category", "contextual", "fires when")
    for spec in specs:
        table.add_row(spec.id, spec.category, "yes" if spec.contextual else "no", spec.fires_when)
    Console().print(table)
