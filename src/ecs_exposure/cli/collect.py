"""``ecs-exposure collect``: collect live ECS data from AWS into a snapshot file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ecs_exposure.cli.exit_codes import ExitCode
from ecs_exposure.cli.options import aws_options

if TYPE_CHECKING:
    from ecs_exposure.sources.aws.options import CollectOptions


@click.command()
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
    from ecs_exposure.cli.inputs import collect_live, require_collected
    from ecs_exposure.cli.output import print_error, stderr_console, writing_to
    from ecs_exposure.reporters.terminal import safe
    from ecs_exposure.sources.aws import snapshot

    if aws is None:
        raise click.UsageError("collect needs --aws (live AWS is the only source it collects)")
    stderr = stderr_console()
    collected = collect_live(aws, stderr)
    with writing_to(output):
        snapshot.write(collected, output)
    for error in collected["errors"]:
        print_error(stderr, error["message"])
    stats = snapshot.statistics(collected)
    stderr.print(f"wrote {safe(output)}: {stats['accounts']} accounts, "
                 f"{stats['regions']} regions, {stats['services']} services, "
                 f"{collected['api_calls']['total']} API calls; {len(collected['errors'])} "
                 f"errors, {len(collected['incomplete'])} incomplete",
                 markup=False, highlight=False)
    require_collected(collected, listed=True)
    sys.exit(ExitCode.INCOMPLETE if strict and (collected["errors"] or collected["incomplete"])
             else ExitCode.OK)
