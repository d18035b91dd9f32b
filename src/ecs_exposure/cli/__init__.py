"""The command line: parse arguments, call the library, choose reporters, set the exit code.

One module per command; options several commands share are in :mod:`.options`, everything
printed in :mod:`.output`, every exit code in :mod:`.exit_codes`. Subsystems are imported
inside the commands that use them, so ``ecs-exposure --help`` (and every usage error) answers
without loading the scanner.
"""

from __future__ import annotations

from typing import Any

import click

from ecs_exposure import __version__
from ecs_exposure.cli.collect import collect
from ecs_exposure.cli.diff import diff
from ecs_exposure.cli.exit_codes import ExitCode, for_error
from ecs_exposure.cli.fix import fix
from ecs_exposure.cli.history import history
from ecs_exposure.cli.image import image
from ecs_exposure.cli.init import init
from ecs_exposure.cli.intel import intel
from ecs_exposure.cli.scan import scan
from ecs_exposure.cli.traits import traits
from ecs_exposure.errors import EcsExposureError


class _Commands(click.Group):
    """The top-level group, where every error a command does not handle ends: the user's
    errors as ``error: …`` with their exit code, anything else as an internal error (exit 70),
    never a traceback and never 1, which means "the check failed"."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except EcsExposureError as error:
            from ecs_exposure.cli.output import report_error, stderr_console

            report_error(stderr_console(), error)
            ctx.exit(for_error(error))
        except Exception as error:     # the last line of defence, by design
            from ecs_exposure.cli.output import report_crash, stderr_console

            report_crash(stderr_console(), error)
            ctx.exit(ExitCode.INTERNAL)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ecs-exposure")
def main() -> None:
    """Find, rank and fix the security exposures of Amazon ECS services."""


for _command in (scan, image, init, collect, traits, fix, intel, history, diff):
    main.add_command(_command)
