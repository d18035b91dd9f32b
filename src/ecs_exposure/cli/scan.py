"""``ecs-exposure scan``: read an estate, find its exposures, report them, gate on them."""

from __future__ import annotations

import re
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ecs_exposure.analysis.vulnerabilities.store import DEFAULT_EPSS_THRESHOLD
from ecs_exposure.cli.exit_codes import ExitCode
from ecs_exposure.cli.options import (
    FAIL_ON,
    aws_options,
    config_option,
    executor_options,
    images_option,
    intel_dir_option,
    output_dir_option,
    output_option,
    policy_option,
    quiet_option,
    record_store_options,
    source_root_option,
)
from ecs_exposure.detectors.frameworks import FRAMEWORKS
from ecs_exposure.reporters import FORMATS
from ecs_exposure.reporters.base import CSV_DIALECTS, INCLUDES, LOCATIONS

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from rich.console import Console

    from ecs_exposure.distributed.options import ExecutorOptions
    from ecs_exposure.distributed.scan import Pairs
    from ecs_exposure.exposure.compliance import ComplianceReport
    from ecs_exposure.model import ScanResult
    from ecs_exposure.reporters.context import ReportContext
    from ecs_exposure.reporters.selection import Only
    from ecs_exposure.settings import ScanSettings
    from ecs_exposure.sources.aws.options import CollectOptions
    from ecs_exposure.sources.config import Config
    from ecs_exposure.store.engine import Store


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--demo", is_flag=True, help="Scan the bundled demo estate.")
@click.option("--format", "fmt", multiple=True,
              help=f"Output format, repeatable or comma-separated: {', '.join(FORMATS)} "
                   "(default: table on a terminal, json otherwise).")
@output_option("Write the report to this file instead of standard output.")
@output_dir_option("Write every chosen format into this folder under fixed file names.")
@click.option("--fail-on", type=click.Choice(FAIL_ON, case_sensitive=False), default="none",
              show_default=True,
              help="Exit 1 when an open (not suppressed) finding reaches this severity.")
@click.option("--baseline", type=click.Path(path_type=Path, dir_okay=False),
              help="A previous JSON result: mark each finding new, unchanged, worse or better, "
                   "and list the resolved ones.")
@click.option("--fail-on-new", type=click.Choice(FAIL_ON, case_sensitive=False), default="none",
              show_default=True,
              help="With --baseline: exit 1 when an open finding reaches this severity and "
                   "did not in the baseline (new, or worse).")
@click.option("--details", is_flag=True, help="Table format: show why, attack path and fix.")
@click.option("--csv-dialect", type=click.Choice(CSV_DIALECTS), default=CSV_DIALECTS[0],
              show_default=True, help="CSV format: 'excel' (UTF-8 BOM, CRLF rows: opens right "
              "in Excel) or 'unix' (neither, for pipes).")
@click.option("--security-hub", is_flag=True,
              help="Also send the findings and posture (ASFF; --only and --min-severity narrow "
                   "it as they narrow the reports) to AWS Security Hub with BatchImportFindings, "
                   "after listing what will be sent; exit 3 if any is not imported.")
@click.option("--security-hub-region", metavar="REGION",
              help="Import into this region (default: each finding's own region).")
@click.option("--security-hub-account", metavar="ACCOUNT_ID",
              help="Import as this account (default: each finding's own account).")
@click.option("--parameters", "parameters_file", type=click.Path(path_type=Path, dir_okay=False),
              help="CloudFormation parameter values (AWS CLI ParameterKey/ParameterValue list "
                   "or a name → value mapping, JSON or YAML); may set AWS::Region, "
                   "AWS::AccountId and AWS::StackName.")
@images_option("Folder of image archives (docker save) and OCI layouts, matched to the task "
               "definitions' images by digest or tag.")
@policy_option("Hardened-image policy (YAML); see the README.")
@click.option("--epss-threshold", type=click.FloatRange(0.0, 1.0), default=DEFAULT_EPSS_THRESHOLD,
              show_default=True,
              help="EPSS score from which a network-exploitable vulnerability counts as likely "
                   "to be exploited.")
@intel_dir_option("Exploit-intelligence cache read when no EPSS/KEV input is given "
                  "[default: ~/.cache/ecs-exposure/intel].")
@click.option("--strict", is_flag=True,
              help="Exit 4 when some data could not be read (errors, incomplete resources).")
@click.option("--only", type=click.Choice(("findings", "posture")),
              help="Show only the findings (correlated exposures, one per service) or only the "
                   "posture (every trait of every resource) [default: both].")
@click.option("--min-severity", type=click.Choice(FAIL_ON[:-1], case_sensitive=False),
              help="Leave out findings below this severity and posture traits whose own "
                   "severity is below it (contextual traits are low); --fail-on and "
                   "compliance still judge everything.")
@click.option("--compliance", "frameworks", multiple=True,
              type=click.Choice(tuple(FRAMEWORKS)),
              help="Add a compliance report, repeatable: per control pass, fail or not "
                   "evaluated, with the failing resources and evidence (json, html, "
                   "markdown, table).")
@click.option("--include", "include", multiple=True, metavar="LISTING",
              help=f"JSON: add a full listing the compact result leaves out, repeatable or "
                   f"comma-separated: {', '.join(INCLUDES)} (every vulnerability of every "
                   "image; each finding's whole fixed revision beside its changes; the line "
                   "and column of each evidence in its input file).")
@click.option("--allow-empty", is_flag=True,
              help="Files that hold nothing to scan (not ECS, snapshot or IaC documents) are "
                   "skipped and a run with nothing left passes, instead of exit 2; for "
                   "pre-commit hooks, which pass every changed file.")
@record_store_options
@quiet_option
@source_root_option
@aws_options
@executor_options
@config_option
def scan(paths: tuple[Path, ...], demo: bool, fmt: tuple[str, ...], output: Path | None,
         output_dir: Path | None, fail_on: str, baseline: Path | None, fail_on_new: str,
         details: bool, csv_dialect: str, security_hub: bool,
         security_hub_region: str | None, security_hub_account: str | None,
         parameters_file: Path | None, images_dir: Path | None,
         policy_file: Path | None, epss_threshold: float, intel_dir: Path | None,
         strict: bool, only: Only | None, min_severity: str | None,
         frameworks: tuple[str, ...], include: tuple[str, ...], allow_empty: bool,
         store_url: str | None, store_retention: str | None, quiet: bool,
         source_root: Path | None,
         aws: CollectOptions | None, executor: ExecutorOptions, config: Config) -> None:
    """Scan AWS CLI JSON exports, snapshots, IaC (files or directories) or live AWS accounts
    for ECS service exposures.

    \b
    Examples:
      ecs-exposure scan --demo
      ecs-exposure scan ./exports/ --format json --output result.json --fail-on high
      ecs-exposure scan ./exports/ --format json,table --output-dir reports/
      ecs-exposure scan ./exports/ --format sarif,html,markdown --output-dir reports/
      ecs-exposure scan infra/ --format sarif -o results.sarif --source-root . --min-severity medium
      ecs-exposure scan ./task-definitions/ --only posture --min-severity medium
      ecs-exposure scan --demo --compliance aws-well-architected-sec06-bp02 --format markdown
      ecs-exposure scan ./exports/ --security-hub --format table
      ecs-exposure scan --aws --region all --strict
      ecs-exposure scan --aws --role-name SecurityAudit --account 111122223333 \\
          --account 444455556666 --region eu-west-1 --region us-east-1
      ecs-exposure scan snapshot.json.gz
      ecs-exposure scan ./exports/ --baseline previous.json --fail-on-new high
      ecs-exposure scan ./exports/ --config ci/ecs-exposure.yaml --fail-on high
      ecs-exposure scan ./exports/ --fail-on high --store --store-retention 90d
    """
    import time

    started = time.monotonic()
    from ecs_exposure.cli import exit_codes
    from ecs_exposure.cli.inputs import policy_from
    from ecs_exposure.cli.output import (
        emit,
        explain_exit,
        parse_formats,
        print_warning,
        report_outcome,
        stderr_console,
    )
    from ecs_exposure.cli.security_hub import send_to_security_hub
    from ecs_exposure.errors import InputError
    from ecs_exposure.exposure.baseline import compare
    from ecs_exposure.exposure.compliance import compliance_reports
    from ecs_exposure.exposure.suppressions import apply_suppressions
    from ecs_exposure.model import Severity
    from ecs_exposure.reporters.selection import select
    from ecs_exposure.settings import ScanSettings
    from ecs_exposure.sources.baseline import load_baseline
    from ecs_exposure.sources.iac import parameters as iac_parameters
    from ecs_exposure.sources.load import demo_paths

    if not paths and not demo and aws is None:
        raise click.UsageError("give at least one file or directory to scan, --demo or --aws")
    if (security_hub_region or security_hub_account) and not security_hub:
        raise click.UsageError("--security-hub-region/--security-hub-account need --security-hub")
    if security_hub_account is not None and not re.fullmatch(r"\d{12}", security_hub_account):
        raise click.BadParameter("must be a 12-digit AWS account id",
                                 param_hint="--security-hub-account")
    reporters = parse_formats(fmt) or [FORMATS[
        "table" if output is None and output_dir is None and sys.stdout.isatty() else "json"]]
    if len(reporters) > 1 and output_dir is None:
        raise click.UsageError("several formats need --output-dir")
    if output is not None and output_dir is not None:
        raise click.UsageError("use either --output or --output-dir")
    if fail_on_new.lower() != "none" and baseline is None:
        raise click.UsageError("--fail-on-new needs --baseline (the result to compare with)")
    listings = _includes(include)
    if details and FORMATS["table"] not in reporters:
        raise click.UsageError("--details applies to the table format only (every other "
                               "format always carries the details)")

    if store_retention is not None and store_url is None:
        raise click.UsageError("--store-retention needs --store")
    store = _open_store(store_url, store_retention)

    stderr = stderr_console()
    try:
        values = iac_parameters.load_parameters(parameters_file) if parameters_file else {}
    except InputError as exc:
        raise click.BadParameter(str(exc), param_hint="--parameters") from None
    policy = policy_from(policy_file) if policy_file or config.policy is None else config.policy
    previous = load_baseline(baseline) if baseline is not None else None
    with ExitStack() as stack:
        inputs = list(paths) + (demo_paths(stack) if demo else [])
        settings = ScanSettings.from_options(policy=policy, epss_threshold=epss_threshold,
                                             intel_dir=intel_dir)
        if aws is not None and executor.distributes:    # --executor: one scan per account
            from ecs_exposure.cli.engine_runs import scan_on_engine

            result, context, scope = scan_on_engine(inputs, aws, executor, settings,
                                                    images_dir, values, stderr)
        else:
            result, context, scope = _scan_here(
                inputs, aws, values, allow_empty, quiet, settings, images_dir, details
                or security_hub or store is not None or LOCATIONS in listings
                or any(r.locates_evidence for r in reporters), stderr)
    rules = config.suppressions
    if store is not None:
        from ecs_exposure.store.suppressions import store_rules

        rules += store_rules(store)
    result = apply_suppressions(result, rules, settings.today)
    if previous is not None:
        result = compare(result, previous)
    if output is not None or output_dir is not None or reporters != [FORMATS["table"]]:
        _note_unused(result, stderr)        # the table on a terminal lists them itself
    reports = compliance_reports(result, frameworks)
    with context:
        shown = select(result, only, Severity.parse(min_severity) if min_severity else None)
        emit(shown, reporters, output, output_dir, details, context, reports, only, csv_dialect,
             listings, source_root=source_root,
             warn=lambda text: print_warning(stderr, text))
        report_outcome(stderr, result, quiet)
        if store is not None:
            _record(store, result, context, reports, scope,
                    time.monotonic() - started, store_retention, stderr, quiet)
        code = exit_codes.for_result(result, fail_on.lower(), strict, fail_on_new.lower())
        by_new = code == ExitCode.FAILED and exit_codes.for_result(
            result, fail_on.lower()) != ExitCode.FAILED
        explain_exit(stderr, code, fail_on.lower(), fail_on_new.lower() if by_new else None)
        if security_hub and not send_to_security_hub(shown, security_hub_account,
                                                     security_hub_region, stderr, context):
            code = ExitCode.SECURITY_HUB if code == ExitCode.OK else code
    sys.exit(code)


def _open_store(url: str | None, retention: str | None) -> Store | None:
    """The store ``--store`` names, opened (and migrated) before the scan, so a wrong URL
    fails in a second, not after the scan."""
    if url is None:
        return None
    from ecs_exposure.store.engine import open_store
    from ecs_exposure.store.retention import Retention

    if retention is not None:
        Retention.parse(retention)
    return open_store(url)


def _record(store: Store, result: ScanResult, context: ReportContext,
            reports: tuple[ComplianceReport, ...], scope: set[tuple[str | None, str | None]],
            duration: float, retention: str | None, stderr: Console, quiet: bool) -> None:
    """Record the scan in the store, apply ``--store-retention``, say what was recorded."""
    from ecs_exposure.reporters.terminal import safe
    from ecs_exposure.store.queries import now, trend
    from ecs_exposure.store.record import record_result
    from ecs_exposure.store.retention import Retention, apply_retention

    with store:
        scan_id = record_result(store, result, context=context, compliance=reports,
                                scope=scope, duration_seconds=duration)
        dropped = apply_retention(store, Retention.parse(retention), now()) if retention else 0
        states = trend(store, 1)[-1].by_state
    if not quiet:
        counts = ", ".join(f"{n} {state}" for state, n in states.items() if n)
        stderr.print(f"recorded scan {scan_id} in {safe(store.name)}: {counts or 'no finding'}"
                     + (f"; {dropped} older scan(s) removed" if dropped else ""),
                     markup=False, highlight=False, soft_wrap=True)


def _includes(values: tuple[str, ...]) -> frozenset[str]:
    """``--include`` values (repeated or comma-separated), each one of :data:`INCLUDES`."""
    chosen = frozenset(v.strip().lower() for value in values for v in value.split(",")
                       if v.strip())
    unknown = sorted(chosen - set(INCLUDES))
    if unknown:
        raise click.BadParameter(f"{', '.join(unknown)}: not one of {', '.join(INCLUDES)}",
                                 param_hint="--include")
    return chosen


def _note_unused(result: ScanResult, stderr: Console) -> None:
    """Name every suppression that matched nothing: a stale mute, or a typo, is a risk too
    (expired ones are errors of the result already)."""
    for use in result.suppressions:
        if use.state == "unused":
            stderr.print(f"note: {use.rule.describe()} matched nothing", style="yellow",
                         markup=False, highlight=False, soft_wrap=True)


def _scan_here(inputs: list[Path], aws: CollectOptions | None, values: Mapping[str, Any],
               allow_empty: bool, quiet: bool, settings: ScanSettings, images_dir: Path | None,
               locate_evidence: bool, stderr: Console
               ) -> tuple[ScanResult, ReportContext, Pairs]:
    """The scan in this process: every input in one Inventory; with the ``(account,
    region)`` pairs it read (what a store records the scan as covering)."""
    from ecs_exposure.cli.inputs import gather
    from ecs_exposure.pipeline import scan_for_reports
    from ecs_exposure.sources.intel import load_intel_dir
    from ecs_exposure.sources.load import prepare_images
    from ecs_exposure.store.scope import inventory_scope

    inventory, report = gather(inputs, aws, stderr, values, allow_empty=allow_empty)
    if not quiet and any(source.endswith(".tf") for source in report.read):
        stderr.print("note: Terraform .tf files were read directly, a best effort for "
                     "literal values; a plan (terraform show -json) is more complete",
                     style="dim", highlight=False)
    if settings.intel_dir is not None:
        load_intel_dir(inventory, settings.intel_dir, report.errors)
    errors = report.errors + prepare_images(inventory, settings, images_dir)
    result, context = scan_for_reports(
        inventory, settings, errors=errors, skipped=report.skipped,
        inputs=[str(p) for p in inputs] + (["aws"] if aws else []),
        locate_evidence=locate_evidence)
    return result, context, inventory_scope(inventory)
