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
from ecs_exposure import intel as intel_cache
from ecs_exposure.detectors.registry import catalog
from ecs_exposure.intel import default_intel_dir
from ecs_exposure.inventory import Inventory
from ecs_exposure.model import ScanResult, Severity, SourceError
from ecs_exposure.reporters import FORMATS, terminal
from ecs_exposure.scan import scan_inventory
from ecs_exposure.sources.files import LoadReport, iter_files, load_paths
from ecs_exposure.sources.intel import load_intel_dir
from ecs_exposure.vuln_store import DEFAULT_EPSS_THRESHOLD

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
@click.option("--epss-threshold", type=click.FloatRange(0.0, 1.0), default=DEFAULT_EPSS_THRESHOLD,
              show_default=True,
              help="EPSS score from which a network-exploitable vulnerability counts as likely "
                   "to be exploited.")
@click.option("--intel-dir", type=click.Path(path_type=Path, file_okay=False),
              envvar="ECS_EXPOSURE_INTEL_DIR",
              help="Exploit-intelligence cache read when no EPSS/KEV input is given "
                   "[default: ~/.cache/ecs-exposure/intel].")
def scan(paths: tuple[Path, ...], demo: bool, fmt: tuple[str, ...], output: Path | None,
         output_dir: Path | None, fail_on: str, details: bool, epss_threshold: float,
         intel_dir: Path | None) -> None:
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
    stderr = Console(stderr=True)
    with ExitStack() as stack:
        inputs = list(paths) + (demo_paths(stack) if demo else [])
        inventory, report = load_inputs(inputs, stderr)
        fail_if_nothing_read(report, stderr)
        inventory.vulnerabilities.epss_threshold = epss_threshold
        load_intel_dir(inventory, intel_dir or default_intel_dir(), report.errors)
        result = scan_inventory(inventory, errors=report.errors, skipped=report.skipped,
                                inputs=[str(p) for p in inputs])
    emit(result, formats, output, output_dir, details)
    sys.exit(exit_code(result, fail_on.lower()))


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


@main.group()
def intel() -> None:
    """Exploit intelligence (FIRST EPSS, CISA KEV) cached for offline scans."""


@intel.command()
@click.option("--intel-dir", type=click.Path(path_type=Path, file_okay=False),
              envvar="ECS_EXPOSURE_INTEL_DIR", help="Cache folder to fill.")
@click.option("--epss-url", default=intel_cache.EPSS_URL, show_default=True)
@click.option("--kev-url", default=intel_cache.KEV_URL, show_default=True)
@click.option("--timeout", type=click.FloatRange(1, 600), default=60.0, show_default=True,
              help="Seconds per download.")
def update(intel_dir: Path | None, epss_url: str, kev_url: str, timeout: float) -> None:
    """Download the current EPSS scores and KEV catalog into the cache (needs network)."""
    directory = intel_dir or default_intel_dir()
    results = intel_cache.update(directory, {"epss": epss_url, "kev": kev_url}, timeout)
    for item in results:
        if item.info is not None:
            click.echo(f"{item.kind}: {item.info.count:,} entries"
                       + (f", dated {item.info.date}" if item.info.date else "")
                       + f" -> {item.path}")
        else:
            click.echo(f"{item.kind}: {item.error} ({item.url}); cached copy kept", err=True)
    sys.exit(0 if all(item.info is not None for item in results) else 1)


@intel.command()
@click.option("--intel-dir", type=click.Path(path_type=Path, file_okay=False),
              envvar="ECS_EXPOSURE_INTEL_DIR", help="Cache folder to inspect.")
def status(intel_dir: Path | None) -> None:
    """Show what the cache holds and how old it is."""
    directory = intel_dir or default_intel_dir()
    inventory = Inventory()
    errors: list[SourceError] = []
    load_intel_dir(inventory, directory, errors)
    sources = inventory.vulnerabilities.intel.sources
    if not sources and not errors:
        click.echo(f"no exploit intelligence cached in {directory}; run "
                   "'ecs-exposure intel update' or pass EPSS/KEV files to scan")
    for info in sources:
        click.echo(f"{info.kind}: {info.count:,} entries, version {info.version or '?'}, "
                   f"dated {info.date or '?'} ({info.source})")
    for error in errors:
        click.echo(f"error: {error.source}: {error.message}", err=True)
