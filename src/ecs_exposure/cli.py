"""Commands only: parse arguments, call the library, choose a reporter, set the exit code.

Exit codes: 0 no finding at or above ``--fail-on``; 1 a finding reached it; 2 usage error or
no input could be read.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ecs_exposure import __version__
from ecs_exposure.model import ScanResult, Severity
from ecs_exposure.reporters import FORMATS

if TYPE_CHECKING:
    from rich.console import Console

    from ecs_exposure.inventory import Inventory
    from ecs_exposure.sources.files import LoadReport

# The scanner, rich and the reporters are imported inside the commands that use them, so
# `ecs-exposure --help` (and every usage error) answers without loading them.

FAIL_ON = ("critical", "high", "medium", "low", "none")
_PROGRESS_THRESHOLD = 20


def load_inputs(paths: list[Path], stderr: Console) -> tuple[Inventory, LoadReport]:
    """Load inputs, with a progress bar on a terminal when there are many files."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from ecs_exposure.inventory import Inventory
    from ecs_exposure.sources.files import iter_files, load_paths

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


def demo_paths(stack: ExitStack) -> list[Path]:
    """The bundled demo estate's folders (not its README)."""
    from importlib.resources import as_file, files

    demo_dir = stack.enter_context(as_file(files("ecs_exposure") / "demo"))
    return sorted(p for p in demo_dir.iterdir() if p.is_dir())


def fail_if_nothing_read(report: LoadReport, stderr: Console) -> None:
    """Exit 2 with every problem listed when not a single input could be used."""
    if report.read:
        return
    from ecs_exposure.reporters import terminal

    for problem in report.errors + report.skipped:
        stderr.print(f"error: {terminal.safe(problem.source)}: {terminal.safe(problem.message)}",
                     style="red", markup=False, highlight=False)
    stderr.print("error: no input could be read", style="red")
    sys.exit(2)


def exit_code(result: ScanResult, fail_on: str) -> int:
    """1 when any finding (service or unattached task definition) reaches ``fail_on``."""
    if fail_on == "none":
        return 0
    threshold = Severity.parse(fail_on)
    worst = [f.severity for f in result.findings + result.task_definition_findings]
    return 1 if worst and max(worst) >= threshold else 0


def parse_formats(values: tuple[str, ...]) -> list[str]:
    """``--format json --format sarif`` or ``--format json,sarif``."""
    chosen: list[str] = []
    for value in values:
        for name in value.split(","):
            name = name.strip().lower()
            if name not in FORMATS:
                raise click.BadParameter(
                    f"{name!r} is not one of {', '.join(FORMATS)}", param_hint="--format")
            if name not in chosen:
                chosen.append(name)
    return chosen


def emit(result: ScanResult, formats: list[str], output: Path | None, output_dir: Path | None,
         details: bool) -> None:
    """Write the result in each chosen format to stdout, ``--output`` or ``--output-dir``."""
    if output_dir is not None:
        output_dir.mkdir(parents=True, exist_ok=True)
        for name in formats:
            fmt = FORMATS[name]
            (output_dir / fmt.filename).write_text(fmt.render(result), encoding="utf-8")
        return
    name = formats[0]
    if name == "table":
        from rich.console import Console

        from ecs_exposure.reporters import terminal

        if output is None:
            terminal.render(result, Console(highlight=False), details=details)
        else:
            output.write_text(terminal.render_text(result, details=details), encoding="utf-8")
    elif output is None:
        sys.stdout.write(FORMATS[name].render(result))
    else:
        output.write_text(FORMATS[name].render(result), encoding="utf-8")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ecs-exposure")
def main() -> None:
    """Find, rank and fix the security exposures of Amazon ECS services."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--demo", is_flag=True, help="Scan the bundled demo estate.")
@click.option("--format", "fmt", multiple=True,
              help=f"Output format, repeatable or comma-separated: {', '.join(FORMATS)} "
                   "(default: table on a terminal, json otherwise).")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the report to this file instead of standard output.")
@click.option("--output-dir", type=click.Path(path_type=Path, file_okay=False),
              help="Write every chosen format into this folder under fixed file names.")
@click.option("--fail-on", type=click.Choice(FAIL_ON, case_sensitive=False), default="none",
              show_default=True, help="Exit 1 when a finding reaches this severity.")
@click.option("--details", is_flag=True, help="Table format: show why, attack path and fix.")
def scan(paths: tuple[Path, ...], demo: bool, fmt: tuple[str, ...], output: Path | None,
         output_dir: Path | None, fail_on: str, details: bool) -> None:
    """Scan AWS CLI JSON exports (files or directories) for ECS service exposures.

    \b
    Examples:
      ecs-exposure scan --demo
      ecs-exposure scan ./exports/ --format json --output result.json --fail-on high
      ecs-exposure scan ./exports/ --format json,table --output-dir reports/
    """
    if not paths and not demo:
        raise click.UsageError("give at least one file or directory to scan, or --demo")
    formats = parse_formats(fmt) or [
        "table" if output is None and output_dir is None and sys.stdout.isatty() else "json"]
    if len(formats) > 1 and output_dir is None:
        raise click.UsageError("several formats need --output-dir")
    if output is not None and output_dir is not None:
        raise click.UsageError("use either --output or --output-dir")
    from rich.console import Console

    from ecs_exposure.scan import scan_inventory

    stderr = Console(stderr=True)
    with ExitStack() as stack:
        inputs = list(paths) + (demo_paths(stack) if demo else [])
        inventory, report = load_inputs(inputs, stderr)
        fail_if_nothing_read(report, stderr)
        result = scan_inventory(inventory, errors=report.errors, skipped=report.skipped,
                                inputs=[str(p) for p in inputs])
    emit(result, formats, output, output_dir, details)
    sys.exit(exit_code(result, fail_on.lower()))


@main.command()
@click.option("--format", "fmt", type=click.Choice(("table", "markdown")), default="table")
def traits(fmt: str) -> None:
    """List the trait catalog: ids, categories and when each fires."""
    from rich.console import Console

    from ecs_exposure.detectors.registry import catalog

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


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--demo", is_flag=True, help="Fix the bundled demo estate.")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="Folder for the plan: <cluster>/<service>/… and plan.json.")
@click.option("--secret-arn-prefix", help="Secrets Manager ARN prefix for moved credentials, "
              "e.g. arn:aws:secretsmanager:us-east-1:111122223333:secret:")
@click.option("--allow-cidr", multiple=True, help="Source CIDR that replaces 0.0.0.0/0 or ::/0 "
              "in fixed security groups (repeatable).")
@click.option("--keep-mount", multiple=True, help="Host path that is really needed: keep it "
              "mounted read-only instead of removing it (repeatable).")
@click.option("--default-user", help="Non-root UID:GID for containers that run as root.")
@click.option("--apply", "do_apply", is_flag=True,
              help="Apply the plan to AWS (writes to AWS; shows the plan and asks first).")
@click.option("--yes", is_flag=True, help="With --apply: do not ask for confirmation.")
@click.option("--region", help="With --apply: AWS region (default: the service ARN's).")
@click.option("--profile", help="With --apply: AWS profile.")
def fix(paths: tuple[Path, ...], demo: bool, out: Path, secret_arn_prefix: str | None,
        allow_cidr: tuple[str, ...], keep_mount: tuple[str, ...], default_user: str | None,
        do_apply: bool, yes: bool, region: str | None, profile: str | None) -> None:
    """Write fixed task definition revisions, service updates and security-group changes.

    \b
    Examples:
      ecs-exposure fix --demo --out fixes/
      ecs-exposure fix ./exports/ --out fixes/ --allow-cidr 10.0.0.0/8
    """
    from rich.console import Console

    from ecs_exposure.remediation.fixers import FixOptions
    from ecs_exposure.remediation.plan import plan_for
    from ecs_exposure.remediation.writer import write_plans
    from ecs_exposure.reporters import terminal
    from ecs_exposure.scan import scan_inventory

    if not paths and not demo:
        raise click.UsageError("give at least one file or directory, or --demo")
    stderr = Console(stderr=True)
    options = FixOptions(secret_arn_prefix=secret_arn_prefix, allow_cidrs=allow_cidr,
                         keep_mounts=frozenset(keep_mount), default_user=default_user)
    with ExitStack() as stack:
        inputs = list(paths) + (demo_paths(stack) if demo else [])
        inventory, report = load_inputs(inputs, stderr)
        fail_if_nothing_read(report, stderr)
        result = scan_inventory(inventory, errors=report.errors, skipped=report.skipped)
        plans = [plan_for(inventory, f, options)
                 for f in result.findings + result.task_definition_findings]
    document = write_plans(out, plans)
    console = Console(highlight=False)
    for entry in document["plans"]:
        counts = {c: sum(1 for ch in entry["changes"] if ch["confidence"] == c)
                  for c in ("safe", "review", "manual")}
        console.print(f"{terminal.safe(entry['cluster'])}/{terminal.safe(entry['service'])}: "
                      f"{len(entry['changes'])} changes ({counts['safe']} safe, "
                      f"{counts['review']} review, {counts['manual']} manual) → "
                      f"{terminal.safe(entry['directory'])}/", markup=False, soft_wrap=True)
    console.print(f"Plan written to {out}/plan.json", markup=False)
    for problem in report.errors:
        stderr.print(f"error: {terminal.safe(problem.source)}: {terminal.safe(problem.message)}",
                     style="red", markup=False)
    if not do_apply:
        return
    _apply(plans, out, yes, region, profile, console)


def _apply(plans: Sequence[object], out: Path, yes: bool, region: str | None, profile: str | None,
           console: Console) -> None:
    """Show every AWS call, confirm, apply, and exit 1 if anything failed."""
    import boto3

    from ecs_exposure.remediation.apply import apply_plans, describe
    from ecs_exposure.remediation.plan import ServicePlan
    from ecs_exposure.reporters import terminal

    typed = [p for p in plans if isinstance(p, ServicePlan)]
    calls = describe(typed)
    if not calls:
        console.print("Nothing to apply.")
        return
    console.print("--apply will make these AWS calls:", style="bold")
    for call in calls:
        console.print(f"  {terminal.safe(call)}", markup=False)
    if not yes:
        if not sys.stdin.isatty():
            raise click.UsageError("--apply needs --yes when not run interactively")
        click.confirm("Apply these changes to AWS?", abort=True)
    session = boto3.Session(profile_name=profile, region_name=region)
    log = apply_plans(typed, session, out, region=region)
    for step in log.steps:
        console.print(f"  {step['status']:>13}  {terminal.safe(step['cluster'])}/"
                      f"{terminal.safe(step['service'])} {step['action']} "
                      f"{terminal.safe(step['detail'])}", markup=False)
    console.print(f"Recorded in {out}/applied.json", markup=False)
    if log.failed or any(step["status"] == "skipped" for step in log.steps):
        sys.exit(1)
