"""Commands only: parse arguments, call the library, choose a reporter, set the exit code.

Exit codes: 0 no finding at or above ``--fail-on``; 1 a finding reached it; 2 usage error or
no input could be read; 3 (with ``--strict``) some data could not be read, so the result is
incomplete.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from contextlib import ExitStack
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from ecs_exposure import __version__
from ecs_exposure.detectors.registry import catalog
from ecs_exposure.detectors.secrets import mask
from ecs_exposure.inventory import Inventory
from ecs_exposure.model import Json, ScanResult, Severity
from ecs_exposure.reporters import FORMATS, terminal
from ecs_exposure.scan import scan_inventory
from ecs_exposure.sources.aws import snapshot
from ecs_exposure.sources.aws.options import CollectionError, CollectOptions
from ecs_exposure.sources.files import LoadReport, iter_files, load_paths

FAIL_ON = ("critical", "high", "medium", "low", "none")
_PROGRESS_THRESHOLD = 20


def load_inputs(paths: list[Path], stderr: Console) -> tuple[Inventory, LoadReport]:
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


def demo_paths(stack: ExitStack) -> list[Path]:
    """The bundled demo estate's folders (not its README)."""
    demo_dir = stack.enter_context(as_file(files("ecs_exposure") / "demo"))
    return sorted(p for p in demo_dir.iterdir() if p.is_dir())


def fail_if_nothing_read(report: LoadReport, stderr: Console) -> None:
    """Exit 2 with every problem listed when not a single input could be used."""
    if report.read:
        return
    for problem in report.errors + report.skipped:
        stderr.print(f"error: {terminal.safe(problem.source)}: {terminal.safe(problem.message)}",
                     style="red", markup=False, highlight=False)
    stderr.print("error: no input could be read", style="red")
    sys.exit(2)


def exit_code(result: ScanResult, fail_on: str, strict: bool = False) -> int:
    """1 when any finding (service or unattached task definition) reaches ``fail_on``; else 3
    under ``strict`` when some data could not be read (errors or incomplete resources)."""
    if fail_on != "none":
        threshold = Severity.parse(fail_on)
        worst = [f.severity for f in result.findings + result.task_definition_findings]
        if worst and max(worst) >= threshold:
            return 1
    return 3 if strict and (result.errors or result.incomplete) else 0


AWS_DEFAULTS = CollectOptions()


def aws_options(func: Callable[..., None]) -> Callable[..., None]:
    """``--aws`` and the options of live collection, handed to the command as one
    ``aws: CollectOptions | None`` argument (``None`` without ``--aws``)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        live = kwargs.pop("aws_flag")
        options = CollectOptions(
            profile=kwargs.pop("profile"), regions=tuple(kwargs.pop("regions")),
            role_name=kwargs.pop("role_name"), accounts=tuple(kwargs.pop("accounts")),
            organization=kwargs.pop("organization"), external_id=kwargs.pop("external_id"),
            max_workers=kwargs.pop("max_workers"))
        if not live and options != AWS_DEFAULTS:
            raise click.UsageError("AWS options (--profile, --region, --role-name, --account, "
                                   "--organization, --external-id, --max-workers) need --aws")
        try:
            options.check()
        except CollectionError as exc:
            raise click.UsageError(str(exc)) from None
        func(*args, aws=options if live else None, **kwargs)

    for option in reversed((
        click.option("--aws", "aws_flag", is_flag=True,
                     help="Collect live from AWS (read-only) with the standard credential "
                          "chain."),
        click.option("--profile", help="AWS named profile (default: the credential chain)."),
        click.option("--region", "regions", multiple=True, metavar="REGION",
                     help="Region to collect; repeatable, or 'all' for every enabled region "
                          "(default: the configured region)."),
        click.option("--role-name", metavar="NAME",
                     help="Role to assume in each --account or organization account."),
        click.option("--account", "accounts", multiple=True, metavar="ID",
                     help="Account to collect by assuming --role-name in it; repeatable."),
        click.option("--organization", is_flag=True,
                     help="Collect every active account of the AWS Organization "
                          "(with --role-name)."),
        click.option("--external-id", help="External ID the role's trust policy requires."),
        click.option("--max-workers", type=click.IntRange(1, 64),
                     default=AWS_DEFAULTS.max_workers, show_default=True,
                     help="Accounts × regions collected at once."),
    )):
        wrapper = option(wrapper)
    return wrapper


def collect_live(options: CollectOptions, stderr: Console) -> Json:
    """Run a live collection with a progress display on a terminal; exit 2 when it cannot
    start (no credentials, no region)."""
    from ecs_exposure.sources.aws.collector import collect
    from ecs_exposure.sources.aws.progress import CollectionProgress

    try:
        with CollectionProgress(stderr) as progress:
            return collect(options, progress.report)
    except CollectionError as exc:
        stderr.print(f"error: {terminal.safe(exc)}", style="red", markup=False, highlight=False)
        sys.exit(2)


def fail_if_nothing_collected(collected: Json, stderr: Console) -> None:
    """Exit 2 with the errors listed when no account and region could be read at all."""
    if snapshot.collected_anything(collected):
        return
    for error in collected.get("errors", []):
        stderr.print(f"error: {terminal.safe(mask(str(error.get('message'))))}", style="red",
                     markup=False, highlight=False)
    stderr.print("error: nothing could be collected from AWS", style="red")
    sys.exit(2)


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
    if name == "table" and output is None:
        terminal.render(result, Console(highlight=False), details=details)
    elif name == "table":
        assert output is not None
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
@click.option("--strict", is_flag=True,
              help="Exit 3 when some data could not be read (errors, incomplete resources).")
@aws_options
def scan(paths: tuple[Path, ...], demo: bool, fmt: tuple[str, ...], output: Path | None,
         output_dir: Path | None, fail_on: str, details: bool, strict: bool,
         aws: CollectOptions | None) -> None:
    """Scan AWS CLI JSON exports, snapshots (files or directories) or live AWS accounts for
    ECS service exposures.

    \b
    Examples:
      ecs-exposure scan --demo
      ecs-exposure scan ./exports/ --format json --output result.json --fail-on high
      ecs-exposure scan ./exports/ --format json,table --output-dir reports/
      ecs-exposure scan --aws --region all --strict
      ecs-exposure scan --aws --role-name SecurityAudit --account 111122223333 \\
          --account 444455556666 --region eu-west-1 --region us-east-1
      ecs-exposure scan snapshot.json.gz
    """
    if not paths and not demo and aws is None:
        raise click.UsageError("give at least one file or directory to scan, --demo or --aws")
    formats = parse_formats(fmt) or [
        "table" if output is None and output_dir is None and sys.stdout.isatty() else "json"]
    if len(formats) > 1 and output_dir is None:
        raise click.UsageError("several formats need --output-dir")
    if output is not None and output_dir is not None:
        raise click.UsageError("use either --output or --output-dir")
    stderr = Console(stderr=True)
    with ExitStack() as stack:
        inputs = list(paths) + (demo_paths(stack) if demo else [])
        inventory, report = load_inputs(inputs, stderr)
        if aws is not None:
            collected = collect_live(aws, stderr)
            fail_if_nothing_collected(collected, stderr)
            snapshot.load_snapshot(inventory, collected, None)
        else:
            fail_if_nothing_read(report, stderr)
        result = scan_inventory(inventory, errors=report.errors, skipped=report.skipped,
                                inputs=[str(p) for p in inputs] + (["aws"] if aws else []))
    emit(result, formats, output, output_dir, details)
    sys.exit(exit_code(result, fail_on.lower(), strict))


@main.command()
@click.option("--output", "-o", required=True,
              type=click.Path(path_type=Path, dir_okay=False),
              help="Snapshot file to write (.json, or .json.gz compressed); mode 0600.")
@click.option("--strict", is_flag=True,
              help="Exit 3 when some data could not be read.")
@aws_options
def collect(output: Path, strict: bool, aws: CollectOptions | None) -> None:
    """Collect live ECS data from AWS (read-only) into a snapshot for later scans.

    \b
    Examples:
      ecs-exposure collect --aws --region all --output snapshot.json.gz
      ecs-exposure collect --aws --organization --role-name SecurityAudit -o org.json.gz
      ecs-exposure scan snapshot.json.gz
    """
    if aws is None:
        raise click.UsageError("collect needs --aws (live AWS is the only source it collects)")
    stderr = Console(stderr=True)
    collected = collect_live(aws, stderr)
    try:
        snapshot.write(collected, output)
    except OSError as exc:
        stderr.print(f"error: cannot write {terminal.safe(output)}: {exc.strerror or exc}",
                     style="red", markup=False, highlight=False)
        sys.exit(2)
    for error in collected["errors"]:
        stderr.print(f"error: {terminal.safe(mask(str(error['message'])))}", style="red",
                     markup=False, highlight=False)
    stats = snapshot.statistics(collected)
    stderr.print(f"wrote {terminal.safe(output)}: {stats['accounts']} accounts, "
                 f"{stats['regions']} regions, {stats['services']} services, "
                 f"{collected['api_calls']['total']} API calls; {len(collected['errors'])} "
                 f"errors, {len(collected['incomplete'])} incomplete",
                 markup=False, highlight=False)
    fail_if_nothing_collected(collected, stderr)
    sys.exit(3 if strict and (collected["errors"] or collected["incomplete"]) else 0)


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
