"""``ecs-exposure fix``: write the fixes of every finding as files, and apply them on request."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ecs_exposure.cli.exit_codes import ExitCode
from ecs_exposure.cli.options import aws_options, output_dir_option, output_option, quiet_option

if TYPE_CHECKING:
    from rich.console import Console

    from ecs_exposure.remediation.plan import ServicePlan
    from ecs_exposure.sources.aws.options import CollectOptions


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--demo", is_flag=True, help="Fix the bundled demo estate.")
@output_dir_option("Folder for the plan: <cluster>/<service>/… and plan.json.")
@click.option("--out", "out", hidden=True, type=click.Path(path_type=Path, file_okay=False),
              help="Deprecated name of --output-dir.")
@output_option("Also write the plan document (what plan.json holds) to this file.")
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
@quiet_option
@aws_options
def fix(paths: tuple[Path, ...], demo: bool, output_dir: Path | None, out: Path | None,
        output: Path | None, secret_arn_prefix: str | None, allow_cidr: tuple[str, ...],
        keep_mount: tuple[str, ...], default_user: str | None, do_apply: bool, yes: bool,
        quiet: bool, aws: CollectOptions | None) -> None:
    """Write fixed task definition revisions, service updates and security-group changes.

    \b
    Examples:
      ecs-exposure fix --demo --output-dir fixes/
      ecs-exposure fix ./exports/ --output-dir fixes/ --allow-cidr 10.0.0.0/8
      ecs-exposure fix --aws --region eu-west-1 --output-dir fixes/ --apply
    """
    from rich.console import Console

    from ecs_exposure.cli.inputs import gather
    from ecs_exposure.cli.output import print_error, stderr_console, writing_to
    from ecs_exposure.pipeline import scan_inventory
    from ecs_exposure.remediation.commands import is_valid_secret_arn_prefix
    from ecs_exposure.remediation.fixers import FixOptions
    from ecs_exposure.remediation.plan import plan_for
    from ecs_exposure.remediation.writer import stale_warning, write_plans
    from ecs_exposure.reporters.terminal import safe
    from ecs_exposure.settings import ScanSettings
    from ecs_exposure.sources.load import demo_paths

    if not paths and not demo and aws is None:
        raise click.UsageError("give at least one file or directory, --demo or --aws")
    stderr = stderr_console()
    if out is not None:
        if output_dir is not None and output_dir != out:
            raise click.UsageError("--out is the old name of --output-dir: give one of them")
        stderr.print("warning: --out is deprecated, use --output-dir", style="yellow",
                     markup=False, highlight=False)
        output_dir = out
    if output_dir is None:
        raise click.UsageError("give the plan's folder with --output-dir")
    out = output_dir
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
    options = FixOptions(secret_arn_prefix=secret_arn_prefix, allow_cidrs=allow_cidr,
                         keep_mounts=frozenset(keep_mount), default_user=default_user)
    with ExitStack() as stack:
        inputs = list(paths) + (demo_paths(stack) if demo else [])
        inventory, report = gather(inputs, aws, stderr)
        result = scan_inventory(inventory, ScanSettings(), errors=report.errors,
                                skipped=report.skipped)
        plans = [plan_for(inventory, f, options)
                 for f in result.findings + result.task_definition_findings]
    with writing_to(out):
        document = write_plans(out, plans)
    if output is not None:
        import json

        with writing_to(output):
            output.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    console = Console(highlight=False, quiet=quiet and not do_apply)
    for entry in document["plans"]:
        counts = {c: sum(1 for ch in entry["changes"] if ch["confidence"] == c)
                  for c in ("safe", "review", "manual")}
        console.print(f"{safe(entry['cluster'])}/{safe(entry['service'])}: "
                      f"{len(entry['changes'])} changes ({counts['safe']} safe, "
                      f"{counts['review']} review, {counts['manual']} manual) → "
                      f"{safe(entry['directory'])}/", markup=False, soft_wrap=True)
    console.print(f"Plan written to {out}/plan.json", markup=False)
    if (warning := stale_warning(out, document)) is not None:
        stderr.print(f"warning: {safe(warning)}", style="yellow", markup=False)
    for problem in report.errors:
        print_error(stderr, f"{problem.source}: {problem.message}")
    if not quiet:
        stderr.print(f"ecs-exposure fix: {len(document['plans'])} plans for "
                     f"{len(result.findings) + len(result.task_definition_findings)} findings"
                     + (f"; {len(report.errors)} input errors" if report.errors else ""),
                     markup=False, highlight=False)
    if not do_apply or aws is None:
        return
    _apply(plans, out, yes, aws.profile, console)


def _apply(plans: Sequence[ServicePlan], out: Path, yes: bool, profile: str | None,
           console: Console) -> None:
    """Show every AWS call, confirm, apply, and exit 1 if anything failed."""
    import boto3

    from ecs_exposure.remediation.apply import apply_plans, describe
    from ecs_exposure.reporters.terminal import safe

    calls = describe(list(plans))
    if not calls:
        console.print("Nothing to apply.")
        return
    console.print("--apply will make these AWS calls:", style="bold")
    for call in calls:
        console.print(f"  {safe(call)}", markup=False)
    if not yes:
        if not sys.stdin.isatty():
            raise click.UsageError("--apply needs --yes when not run interactively")
        click.confirm("Apply these changes to AWS?", abort=True)
    session = boto3.Session(profile_name=profile)
    log = apply_plans(list(plans), session, out)
    for step in log.steps:
        console.print(f"  {step['status']:>13}  {safe(step['cluster'])}/"
                      f"{safe(step['service'])} {step['action']} "
                      f"{safe(step['detail'])}", markup=False)
    console.print(f"Recorded in {out}/applied.json", markup=False)
    if log.failed or any(step["status"] == "skipped" for step in log.steps):
        sys.exit(ExitCode.FAILED)
