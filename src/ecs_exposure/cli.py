"""Commands only: parse arguments, call the library, choose a reporter, set the exit code.

Exit codes: 0 no finding at or above ``--fail-on``; 1 a finding reached it; 2 usage error or
no input could be read; 3 ``--security-hub`` could not import every finding; 4 (with
``--strict``) some data could not be read, so the result is incomplete.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import orjson
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from ecs_exposure import __version__
from ecs_exposure.analysis.secrets import mask
from ecs_exposure.analysis.vulnerabilities.store import DEFAULT_EPSS_THRESHOLD
from ecs_exposure.model import Json, ScanResult, Severity, SourceError
from ecs_exposure.reporters import FORMATS
from ecs_exposure.sources.aws.options import CollectionError, CollectOptions

if TYPE_CHECKING:
    from ecs_exposure.analysis.images.policy import Policy
    from ecs_exposure.inventory import Inventory
    from ecs_exposure.sources.context import ReadContext
    from ecs_exposure.sources.files import LoadReport

# Subsystems are imported inside the commands that use them, so `ecs-exposure --help` (and
# every usage error) answers without loading the scanner.

FAIL_ON = ("critical", "high", "medium", "low", "none")
SECURITY_HUB_FAILED = 3
INCOMPLETE = 4
"""``--strict``: some data could not be read."""
_PROGRESS_THRESHOLD = 20


def load_inputs(paths: list[Path], stderr: Console,
                context: ReadContext | None = None) -> tuple[Inventory, LoadReport]:
    """Load inputs, with a progress bar on a terminal when there are many files."""
    from ecs_exposure.inventory import Inventory
    from ecs_exposure.sources.files import iter_files, load_paths
    inventory = Inventory()
    files_list = list(iter_files(paths))
    if stderr.is_terminal and len(files_list) >= _PROGRESS_THRESHOLD:
        with Progress(TextColumn("Reading inputs"), BarColumn(), MofNCompleteColumn(),
                      console=stderr, transient=True) as progress:
            task = progress.add_task("read", total=len(files_list))
            report = load_paths(files_list, inventory, context=context,
                                on_file=lambda _path: progress.advance(task))
    else:
        report = load_paths(files_list, inventory, context=context)
    return inventory, report


def gather(inputs: list[Path], aws: CollectOptions | None, stderr: Console,
           parameters: Mapping[str, Any] | None = None) -> tuple[Inventory, LoadReport]:
    """The Inventory from files and, with ``--aws``, live collection; exits 2 when nothing at
    all could be read (scan and fix share this, so they always see the same estate).
    ``parameters``: ``scan --parameters`` values for the templates read."""
    from ecs_exposure.sources.aws import snapshot
    from ecs_exposure.sources.readers import read_context

    context = read_context(parameters)
    inventory, report = load_inputs(inputs, stderr, context)
    if aws is not None:
        collected = collect_live(aws, stderr)
        fail_if_nothing_collected(collected, stderr)
        snapshot.load_snapshot(inventory, collected, None, context)
    else:
        fail_if_nothing_read(report, stderr)
    return inventory, report


def demo_paths(stack: ExitStack) -> list[Path]:
    """The bundled demo estate's folders (not its README)."""
    from importlib.resources import as_file, files

    demo_dir = stack.enter_context(as_file(files("ecs_exposure") / "demo"))
    return sorted(p for p in demo_dir.iterdir() if p.is_dir())


def fail_if_nothing_read(report: LoadReport, stderr: Console) -> None:
    """Exit 2 with every problem listed when not a single input could be used."""
    from ecs_exposure.reporters import terminal
    if report.read:
        return

    for problem in report.errors + report.skipped:
        stderr.print(f"error: {terminal.safe(problem.source)}: {terminal.safe(problem.message)}",
                     style="red", markup=False, highlight=False)
    stderr.print("error: no input could be read", style="red")
    sys.exit(2)


def exit_code(result: ScanResult, fail_on: str, strict: bool = False) -> int:
    """1 when any finding (service or unattached task definition) reaches ``fail_on``; else 4
    under ``strict`` when some data could not be read (errors or incomplete resources)."""
    if fail_on != "none":
        threshold = Severity.parse(fail_on)
        worst = [f.severity for f in result.findings + result.task_definition_findings]
        if worst and max(worst) >= threshold:
            return 1
    return INCOMPLETE if strict and (result.errors or result.incomplete) else 0


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
    from ecs_exposure.reporters import terminal
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
    from ecs_exposure.reporters import terminal
    from ecs_exposure.sources.aws import snapshot
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
    from ecs_exposure.reporters import json_report, terminal
    from ecs_exposure.reporters.output_dir import OutputError, write_formats

    if output_dir is not None:
        try:
            write_formats(output_dir, formats, result)  # links inside the folder not followed
        except OutputError as exc:
            raise click.BadParameter(str(exc), param_hint="--output-dir") from None
        return
    name = formats[0]
    if name == "table":
        if output is None:
            terminal.render(result, Console(highlight=False), details=details)
        else:
            output.write_text(terminal.render_text(result, details=details), encoding="utf-8")
    elif name == "json":
        if output is None:
            sys.stdout.flush()
            json_report.write(result, sys.stdout.buffer)
            sys.stdout.buffer.flush()
        else:
            with output.open("wb") as handle:
                json_report.write(result, handle)
    elif output is None:
        sys.stdout.write(FORMATS[name].render(result))
    else:
        output.write_text(FORMATS[name].render(result), encoding="utf-8")


def send_to_security_hub(result: ScanResult, account: str | None, region: str | None,
                         stderr: Console) -> bool:
    """Show what will be imported, import it, report every failure; ``True`` if all went in.

    Findings whose account or region is unknown (task definitions given without an ARN) cannot
    be imported anywhere: they are named in a warning but do not fail the run.
    """
    from ecs_exposure.reporters import asff, security_hub, terminal

    def say(text: str, style: str | None = None) -> None:
        stderr.print(terminal.safe(text), style=style, markup=False, highlight=False,
                     soft_wrap=True)

    findings = asff.findings(result, account=account, region=region)
    left_out = asff.unplaceable(result, account=account, region=region)
    for name in left_out:
        say(f"warning: {name}: account or region unknown, not sent to Security Hub "
            "(give --security-hub-account and --security-hub-region)", "yellow")
    if not findings:
        say("Security Hub: nothing to send")
        return True
    for line in security_hub.plan(findings):
        say(line)
    report = security_hub.send(findings)
    for failure in report.failures:
        say(f"Security Hub did not import {failure.id}: {failure.code}: {failure.message}",
            "red")
    say(f"Security Hub: {report.imported} imported, {len(report.failures)} failed",
        "green" if report.ok else "red")
    return report.ok


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
@click.option("--security-hub", is_flag=True,
              help="Also send the findings (ASFF) to AWS Security Hub with BatchImportFindings, "
                   "after listing what will be sent; exit 3 if any is not imported.")
@click.option("--security-hub-region", metavar="REGION",
              help="Import into this region (default: each finding's own region).")
@click.option("--security-hub-account", metavar="ACCOUNT_ID",
              help="Import as this account (default: each finding's own account).")
@click.option("--parameters", "parameters_file", type=click.Path(path_type=Path, dir_okay=False),
              help="CloudFormation parameter values (AWS CLI ParameterKey/ParameterValue list "
                   "or a name → value mapping, JSON or YAML); may set AWS::Region, "
                   "AWS::AccountId and AWS::StackName.")
@click.option("--images", "images_dir", type=click.Path(path_type=Path),
              help="Folder of image archives (docker save) and OCI layouts, matched to the task "
                   "definitions' images by digest or tag.")
@click.option("--policy", "policy_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Hardened-image policy (YAML); see the README.")
@click.option("--epss-threshold", type=click.FloatRange(0.0, 1.0), default=DEFAULT_EPSS_THRESHOLD,
              show_default=True,
              help="EPSS score from which a network-exploitable vulnerability counts as likely "
                   "to be exploited.")
@click.option("--intel-dir", type=click.Path(path_type=Path, file_okay=False),
              envvar="ECS_EXPOSURE_INTEL_DIR",
              help="Exploit-intelligence cache read when no EPSS/KEV input is given "
                   "[default: ~/.cache/ecs-exposure/intel].")
@click.option("--strict", is_flag=True,
              help="Exit 4 when some data could not be read (errors, incomplete resources).")
@aws_options
def scan(paths: tuple[Path, ...], demo: bool, fmt: tuple[str, ...], output: Path | None,
         output_dir: Path | None, fail_on: str, details: bool, security_hub: bool,
         security_hub_region: str | None, security_hub_account: str | None,
         parameters_file: Path | None, images_dir: Path | None,
         policy_file: Path | None, epss_threshold: float, intel_dir: Path | None,
         strict: bool, aws: CollectOptions | None) -> None:
    """Scan AWS CLI JSON exports, snapshots, IaC (files or directories) or live AWS accounts
    for ECS service exposures.

    \b
    Examples:
      ecs-exposure scan --demo
      ecs-exposure scan ./exports/ --format json --output result.json --fail-on high
      ecs-exposure scan ./exports/ --format json,table --output-dir reports/
      ecs-exposure scan ./exports/ --format sarif,html,markdown --output-dir reports/
      ecs-exposure scan ./exports/ --security-hub --format table
      ecs-exposure scan --aws --region all --strict
      ecs-exposure scan --aws --role-name SecurityAudit --account 111122223333 \\
          --account 444455556666 --region eu-west-1 --region us-east-1
      ecs-exposure scan snapshot.json.gz
    """
    from ecs_exposure.pipeline import scan_inventory
    from ecs_exposure.sources.iac import parameters as iac_parameters
    from ecs_exposure.sources.intel import default_intel_dir, load_intel_dir
    from ecs_exposure.sources.jsonfile import InputError
    if not paths and not demo and aws is None:
        raise click.UsageError("give at least one file or directory to scan, --demo or --aws")
    if (security_hub_region or security_hub_account) and not security_hub:
        raise click.UsageError("--security-hub-region/--security-hub-account need --security-hub")
    if security_hub_account is not None and not re.fullmatch(r"\d{12}", security_hub_account):
        raise click.BadParameter("must be a 12-digit AWS account id",
                                 param_hint="--security-hub-account")
    formats = parse_formats(fmt) or [
        "table" if output is None and output_dir is None and sys.stdout.isatty() else "json"]
    if len(formats) > 1 and output_dir is None:
        raise click.UsageError("several formats need --output-dir")
    if output is not None and output_dir is not None:
        raise click.UsageError("use either --output or --output-dir")


    stderr = Console(stderr=True)
    try:
        values = iac_parameters.load_parameters(parameters_file) if parameters_file else {}
    except InputError as exc:
        raise click.BadParameter(str(exc), param_hint="--parameters") from None
    policy = load_policy_or_exit(policy_file, stderr)
    with ExitStack() as stack:
        inputs = list(paths) + (demo_paths(stack) if demo else [])
        inventory, report = gather(inputs, aws, stderr, values)
        if any(source.endswith(".tf") for source in report.read):
            stderr.print("note: Terraform .tf files were read directly, a best effort for "
                         "literal values; a plan (terraform show -json) is more complete",
                         style="dim", highlight=False)
        inventory.vulnerabilities.epss_threshold = epss_threshold
        load_intel_dir(inventory, intel_dir or default_intel_dir(), report.errors)
        errors = report.errors + prepare_images(inventory, policy, images_dir)
        result = scan_inventory(inventory, errors=errors, skipped=report.skipped,
                                inputs=[str(p) for p in inputs] + (["aws"] if aws else []),
                                locate_evidence=formats != ["table"] or details
                                or bool(security_hub))
    emit(result, formats, output, output_dir, details)
    code = exit_code(result, fail_on.lower(), strict)
    if security_hub and not send_to_security_hub(result, security_hub_account,
                                                 security_hub_region, stderr):
        code = SECURITY_HUB_FAILED if code == 0 else code
    sys.exit(code)


def load_policy_or_exit(path: Path | None, stderr: Console) -> Policy:
    """The policy file, or the defaults; a bad policy is a usage error (exit 2)."""
    from ecs_exposure.analysis.images.policy import Policy, PolicyError, load_policy
    from ecs_exposure.reporters import terminal
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
    from ecs_exposure.exposure.waivers import expired_errors
    from ecs_exposure.sources.images.load import load_images
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
    from ecs_exposure.analysis.images.reference import parse_reference
    from ecs_exposure.exposure.image_gate import result_dict as gate_dict
    from ecs_exposure.exposure.image_gate import run_gate
    from ecs_exposure.inventory import Inventory
    from ecs_exposure.reporters import image_table, terminal
    from ecs_exposure.sources.files import load_paths
    from ecs_exposure.sources.images.load import load_image
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
@click.option("--output", "-o", required=True,
              type=click.Path(path_type=Path, dir_okay=False),
              help="Snapshot file to write (.json, or .json.gz compressed); mode 0600.")
@click.option("--strict", is_flag=True,
              help="Exit 4 when some data could not be read.")
@aws_options
def collect(output: Path, strict: bool, aws: CollectOptions | None) -> None:
    """Collect live ECS data from AWS (read-only) into a snapshot for later scans.

    \b
    Examples:
      ecs-exposure collect --aws --region all --output snapshot.json.gz
      ecs-exposure collect --aws --organization --role-name SecurityAudit -o org.json.gz
      ecs-exposure scan snapshot.json.gz
    """
    from ecs_exposure.reporters import terminal
    from ecs_exposure.sources.aws import snapshot
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
    sys.exit(INCOMPLETE if strict and (collected["errors"] or collected["incomplete"]) else 0)


@main.command()
@click.option("--format", "fmt", type=click.Choice(("table", "markdown")), default="table")
def traits(fmt: str) -> None:
    """List the trait catalog: ids, categories and when each fires."""
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
@aws_options
def fix(paths: tuple[Path, ...], demo: bool, out: Path, secret_arn_prefix: str | None,
        allow_cidr: tuple[str, ...], keep_mount: tuple[str, ...], default_user: str | None,
        do_apply: bool, yes: bool, aws: CollectOptions | None) -> None:
    """Write fixed task definition revisions, service updates and security-group changes.

    \b
    Examples:
      ecs-exposure fix --demo --out fixes/
      ecs-exposure fix ./exports/ --out fixes/ --allow-cidr 10.0.0.0/8
      ecs-exposure fix --aws --region eu-west-1 --out fixes/ --apply
    """
    from ecs_exposure.pipeline import scan_inventory
    from ecs_exposure.remediation.commands import is_valid_secret_arn_prefix
    from ecs_exposure.remediation.fixers import FixOptions
    from ecs_exposure.remediation.plan import plan_for
    from ecs_exposure.remediation.writer import stale_warning, write_plans
    from ecs_exposure.reporters import terminal
    from ecs_exposure.reporters.output_dir import OutputError

    if not paths and not demo and aws is None:
        raise click.UsageError("give at least one file or directory, --demo or --aws")
    if secret_arn_prefix is not None and not is_valid_secret_arn_prefix(secret_arn_prefix):
        raise click.BadParameter("expected arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret: "
                                 "plus an optional name prefix of letters, digits and /_+=.@-",
                                 param_hint="--secret-arn-prefix")
    if do_apply and aws is None:
        raise click.UsageError("--apply needs --aws: a plan is applied only when it was built "
                               "from what is live in AWS now")
    if do_apply and aws is not None and (aws.role_name or aws.organization):
        raise click.UsageError("--apply works in the caller's own account; apply plans for "
                               "other accounts from their PLAN.md")
    stderr = Console(stderr=True)
    options = FixOptions(secret_arn_prefix=secret_arn_prefix, allow_cidrs=allow_cidr,
                         keep_mounts=frozenset(keep_mount), default_user=default_user)
    with ExitStack() as stack:
        inputs = list(paths) + (demo_paths(stack) if demo else [])
        inventory, report = gather(inputs, aws, stderr)
        result = scan_inventory(inventory, errors=report.errors, skipped=report.skipped)
        plans = [plan_for(inventory, f, options)
                 for f in result.findings + result.task_definition_findings]
    try:
        document = write_plans(out, plans)
    except OutputError as exc:
        raise click.BadParameter(str(exc), param_hint="--out") from None
    console = Console(highlight=False)
    for entry in document["plans"]:
        counts = {c: sum(1 for ch in entry["changes"] if ch["confidence"] == c)
                  for c in ("safe", "review", "manual")}
        console.print(f"{terminal.safe(entry['cluster'])}/{terminal.safe(entry['service'])}: "
                      f"{len(entry['changes'])} changes ({counts['safe']} safe, "
                      f"{counts['review']} review, {counts['manual']} manual) → "
                      f"{terminal.safe(entry['directory'])}/", markup=False, soft_wrap=True)
    console.print(f"Plan written to {out}/plan.json", markup=False)
    if (warning := stale_warning(out, document)) is not None:
        stderr.print(f"warning: {terminal.safe(warning)}", style="yellow", markup=False)
    for problem in report.errors:
        stderr.print(f"error: {terminal.safe(problem.source)}: {terminal.safe(problem.message)}",
                     style="red", markup=False)
    if not do_apply or aws is None:
        return
    _apply(plans, out, yes, aws.profile, console)


def _apply(plans: Sequence[object], out: Path, yes: bool, profile: str | None,
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
    session = boto3.Session(profile_name=profile)
    log = apply_plans(typed, session, out)
    for step in log.steps:
        console.print(f"  {step['status']:>13}  {terminal.safe(step['cluster'])}/"
                      f"{terminal.safe(step['service'])} {step['action']} "
                      f"{terminal.safe(step['detail'])}", markup=False)
    console.print(f"Recorded in {out}/applied.json", markup=False)
    if log.failed or any(step["status"] == "skipped" for step in log.steps):
        sys.exit(1)


@main.group()
def intel() -> None:
    """Exploit intelligence (FIRST EPSS, CISA KEV) cached for offline scans."""


@intel.command()
@click.option("--intel-dir", type=click.Path(path_type=Path, file_okay=False),
              envvar="ECS_EXPOSURE_INTEL_DIR", help="Cache folder to fill.")
@click.option("--epss-url", help="EPSS source [default: FIRST's current scores file].")
@click.option("--kev-url", help="KEV source [default: CISA's catalog feed].")
@click.option("--timeout", type=click.FloatRange(1, 600), default=60.0, show_default=True,
              help="Seconds per download.")
def update(intel_dir: Path | None, epss_url: str | None, kev_url: str | None,
           timeout: float) -> None:
    """Download the current EPSS scores and KEV catalog into the cache (needs network)."""
    from ecs_exposure.sources import intel as intel_cache
    from ecs_exposure.sources.intel import default_intel_dir
    epss_url = epss_url or intel_cache.EPSS_URL
    kev_url = kev_url or intel_cache.KEV_URL
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
    from ecs_exposure.inventory import Inventory
    from ecs_exposure.sources.intel import default_intel_dir, load_intel_dir
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
