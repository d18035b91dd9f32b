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
import orjson
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from ecs_exposure import __version__
from ecs_exposure.detectors.registry import catalog
from ecs_exposure.images.exceptions import expired_errors
from ecs_exposure.images.gate import result_dict as gate_dict
from ecs_exposure.images.gate import run_gate
from ecs_exposure.images.load import load_image, load_images
from ecs_exposure.images.policy import Policy, PolicyError, load_policy
from ecs_exposure.images.reference import parse_reference
from ecs_exposure.inventory import Inventory
from ecs_exposure.model import ScanResult, Severity, SourceError
from ecs_exposure.reporters import FORMATS, image_table, terminal
from ecs_exposure.scan import scan_inventory
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
@click.option("--images", "images_dir", type=click.Path(path_type=Path),
              help="Folder of image archives (docker save) and OCI layouts, matched to the task "
                   "definitions' images by digest or tag.")
@click.option("--policy", "policy_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Hardened-image policy (YAML); see the README.")
def scan(paths: tuple[Path, ...], demo: bool, fmt: tuple[str, ...], output: Path | None,
         output_dir: Path | None, fail_on: str, details: bool, images_dir: Path | None,
         policy_file: Path | None) -> None:
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
    policy = load_policy_or_exit(policy_file, stderr)
    with ExitStack() as stack:
        inputs = list(paths) + (demo_paths(stack) if demo else [])
        inventory, report = load_inputs(inputs, stderr)
        fail_if_nothing_read(report, stderr)
        errors = report.errors + prepare_images(inventory, policy, images_dir)
        result = scan_inventory(inventory, errors=errors, skipped=report.skipped,
                                inputs=[str(p) for p in inputs])
    emit(result, formats, output, output_dir, details)
    sys.exit(exit_code(result, fail_on.lower()))


def load_policy_or_exit(path: Path | None, stderr: Console) -> Policy:
    """The policy file, or the defaults; a bad policy is a usage error (exit 2)."""
    if path is None:
        return Policy()
    try:
        return load_policy(path)
    except PolicyError as exc:
        stderr.print(f"error: {terminal.safe(exc)}", style="red", markup=False, highlight=False)
        sys.exit(2)


def prepare_images(inventory: Inventory, policy: Policy, images_dir: Path | None
                   ) -> list[SourceError]:
    """Install the policy, load ``--images``; returns image errors and expired exceptions."""
    inventory.images.policy = policy
    errors = expired_errors(policy, inventory.images.clock().date())
    if images_dir is not None:
        errors += load_images(images_dir, inventory.images)
    return errors


@main.command()
@click.argument("target")
@click.option("--policy", "policy_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Hardened-image policy (YAML).")
@click.option("--ref", "reference", help="The reference the image will be deployed as "
              "(registry/repository:tag), when TARGET is an archive or layout.")
@click.option("--images", "images_dir", type=click.Path(path_type=Path),
              help="Folder of archives/layouts to find TARGET (a reference) and signatures in.")
@click.option("--context", "context", multiple=True, type=click.Path(path_type=Path),
              help="ECR describe-repositories/describe-images/scanning outputs (repeatable).")
@click.option("--arch", type=click.Choice(("amd64", "arm64")), default="amd64",
              show_default=True, help="Platform of a multi-arch image to check.")
@click.option("--format", "fmt", type=click.Choice(("table", "json")), default=None,
              help="Output format (default: table on a terminal, json otherwise).")
def image(target: str, policy_file: Path | None, reference: str | None,
          images_dir: Path | None, context: tuple[Path, ...], arch: str,
          fmt: str | None) -> None:
    """Check one image against the hardened-image policy, for CI.

    TARGET is an image archive (docker save), an OCI layout directory, or a reference
    (registry/repository:tag or @sha256:digest) found in --images or in ECR --context files.
    Exit codes: 0 the policy passes, 1 it fails, 2 usage error or unreadable image.

    \b
    Examples:
      ecs-exposure image build/app.tar --ref 111122223333.dkr.ecr.us-east-1.amazonaws.com/app:1.2
      ecs-exposure image ./oci-layout --policy image-policy.yaml --format json
    """
    stderr = Console(stderr=True)
    policy = load_policy_or_exit(policy_file, stderr)
    inventory = Inventory()
    if context:
        load_paths(list(context), inventory)
    errors = prepare_images(inventory, policy, images_dir)
    images = inventory.images
    path = Path(target)
    ref_text = reference or target
    reference_known = True
    if path.exists():
        before = len(images.facts)
        problems = load_image(path, images)
        if problems or len(images.facts) == before:
            for problem in problems or [SourceError(target, "no image found")]:
                stderr.print(f"error: {terminal.safe(problem.source)}: "
                             f"{terminal.safe(problem.message)}", style="red", markup=False,
                             highlight=False)
            sys.exit(2)
        facts = next((f for f in images.facts[before:] if not f.platform
                      or f.platform.startswith(f"linux/{arch}")), images.facts[before])
        if reference is not None:
            pinned = parse_reference(reference)
            if pinned is not None and pinned.digest and pinned.digest not in facts.digests:
                stderr.print(f"error: --ref names digest {pinned.digest}, but the image in "
                             f"{terminal.safe(target)} has {', '.join(facts.digests) or 'none'}",
                             style="red", markup=False, highlight=False)
                sys.exit(2)
            facts.refs.append(reference)   # the archive is the image this reference deploys
        else:
            named = [r for r in facts.refs if parse_reference(r) is not None
                     and ("/" in r or ":" in r.split("/")[-1])]
            ref_text = named[0] if named else ""
            if not ref_text and facts.digests:
                ref_text = f"unnamed.invalid/image@{facts.digests[0]}"
                reference_known = False
            elif not ref_text:
                stderr.print("error: the archive names no reference and has no manifest "
                             "digest; pass --ref", style="red")
                sys.exit(2)
    gate = run_gate(ref_text, images, inventory.accounts(), reference_known=reference_known,
                    errors=errors, arch=arch)
    if gate is None:
        raise click.BadParameter(f"{target!r} is neither a readable image nor a valid image "
                                 "reference", param_hint="TARGET")
    doc = gate_dict(gate)
    if (fmt or ("table" if sys.stdout.isatty() else "json")) == "json":
        sys.stdout.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        image_table.render(doc, Console(highlight=False))
    sys.exit(0 if gate.passed else 1)


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
