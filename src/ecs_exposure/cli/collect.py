"""``ecs-exposure collect``: collect live ECS data from AWS into a snapshot file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ecs_exposure.cli.exit_codes import ExitCode
from ecs_exposure.cli.options import (
    AWS_DEFAULTS,
    executor_options,
    implied_aws_options,
    output_dir_option,
    output_option,
    quiet_option,
)

SNAPSHOT_NAME = "snapshot.json.gz"
"""The snapshot's file name under ``--output-dir``."""

if TYPE_CHECKING:
    from ecs_exposure.distributed.options import ExecutorOptions
    from ecs_exposure.sources.aws.options import CollectOptions


@click.command()
@output_option("Snapshot file to write (.json, or .json.gz compressed); mode 0600.")
@output_dir_option(f"Write the snapshot into this folder as {SNAPSHOT_NAME}.")
@click.option("--strict", is_flag=True,
              help="Exit 4 when some data could not be read.")
@quiet_option
@implied_aws_options
@executor_options
def collect(output: Path | None, output_dir: Path | None, strict: bool, quiet: bool,
            aws: CollectOptions | None, executor: ExecutorOptions) -> None:
    """Collect live ECS data from AWS (read-only) into a snapshot for later scans.

    AWS is the only source, so --aws is implied.

    \b
    Examples:
      ecs-exposure collect --region all --output snapshot.json.gz
      ecs-exposure collect --organization --role-name SecurityAudit -o org.json.gz
      ecs-exposure collect --organization --role-name SecurityAudit \\
          --executor dask://scheduler:8786 --shards s3://bucket/run1 -o org.json.gz
      ecs-exposure scan snapshot.json.gz
    """
    from ecs_exposure.cli.inputs import collect_live, require_collected
    from ecs_exposure.cli.output import print_error, stderr_console, writing_to
    from ecs_exposure.reporters.inert import safe
    from ecs_exposure.sources.aws import snapshot

    if (output is None) == (output_dir is None):
        raise click.UsageError("give the snapshot's --output file or an --output-dir")
    if output_dir is not None:
        with writing_to(output_dir):
            output_dir.mkdir(parents=True, exist_ok=True)
        output = output_dir / SNAPSHOT_NAME
    if output is None:
        raise click.UsageError("give the snapshot's --output file or an --output-dir")
    stderr = stderr_console()
    if executor.distributes:      # --executor: units on an engine, shards merged
        from ecs_exposure.cli.engine_runs import collect_on_engine

        collected = collect_on_engine(aws or AWS_DEFAULTS, executor, stderr)
    else:
        collected = collect_live(aws or AWS_DEFAULTS, stderr)  # never None: --aws is implied
    with writing_to(output):
        snapshot.write(collected, output)
    for error in collected["errors"]:
        print_error(stderr, error["message"])
    stats = snapshot.statistics(collected)
    if not quiet:
        stderr.print(f"wrote {safe(output)}: {stats['accounts']} accounts, "
                     f"{stats['regions']} regions, {stats['services']} services, "
                     f"{collected['api_calls']['total']} API calls; "
                     f"{len(collected['errors'])} errors, {len(collected['incomplete'])} "
                     "incomplete", markup=False, highlight=False)
    require_collected(collected, listed=True)
    sys.exit(ExitCode.INCOMPLETE if strict and (collected["errors"] or collected["incomplete"])
             else ExitCode.OK)
