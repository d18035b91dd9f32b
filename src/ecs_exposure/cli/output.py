"""What the commands print: reports to their destination, errors to standard error.

Every line that can quote an input goes through here, made inert for the terminal and with
credential-looking text masked, so no command has to remember to.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

import click

from ecs_exposure import __version__
from ecs_exposure.errors import EcsExposureError, OutputError
from ecs_exposure.reporters import FORMATS
from ecs_exposure.reporters.base import Reporter, ReportOptions

if TYPE_CHECKING:
    from rich.console import Console

    from ecs_exposure.exposure.compliance import ComplianceReport
    from ecs_exposure.model import ScanResult
    from ecs_exposure.reporters.context import ReportContext

DEBUG_VARIABLE = "ECS_EXPOSURE_DEBUG"
"""Set to 1 to get the traceback of an internal error."""


def stderr_console() -> Console:
    """The console for messages, progress and errors (never the report)."""
    from rich.console import Console

    return Console(stderr=True)


def _inert(text: object) -> str:
    """``text`` safe to print: control characters escaped, credential-looking values masked."""
    from ecs_exposure.analysis.secrets import mask
    from ecs_exposure.reporters.inert import safe

    return safe(mask(str(text)))


def print_error(console: Console, message: object) -> None:
    """One ``error: …`` line in red, never wrapped (logs are searched for a path)."""
    console.print(f"error: {_inert(message)}", style="red", markup=False, highlight=False,
                  soft_wrap=True)


def print_warning(console: Console, message: object) -> None:
    """One ``warning: …`` line in yellow, never wrapped: something was left out of a report."""
    console.print(f"warning: {_inert(message)}", style="yellow", markup=False, highlight=False,
                  soft_wrap=True)


def report_error(console: Console, error: EcsExposureError) -> None:
    """An error's problems, one line each, then its message."""
    for problem in error.problems:
        print_error(console, problem)
    print_error(console, error)


def report_crash(console: Console, error: BaseException) -> None:
    """An internal error: one line naming it and asking for a report; the traceback only when
    :data:`DEBUG_VARIABLE` asks (it may quote input values, and users need the line, not it)."""
    if os.environ.get(DEBUG_VARIABLE, "") not in ("", "0"):
        traceback.print_exception(error, file=sys.stderr)
    detail = " ".join(str(error).split())
    detail = detail if len(detail) <= 200 else detail[:199] + "…"
    print_error(console, f"internal error ({type(error).__name__}: {detail}); this is a bug in "
                f"ecs-exposure {__version__}, please report it with the command you ran "
                f"({DEBUG_VARIABLE}=1 shows the traceback)")


def parse_formats(values: tuple[str, ...]) -> list[Reporter]:
    """``--format json --format sarif`` or ``--format json,sarif``, each once, in order."""
    chosen: list[Reporter] = []
    for value in values:
        for name in value.split(","):
            name = name.strip().lower()
            if name not in FORMATS:
                raise click.BadParameter(
                    f"{name!r} is not one of {', '.join(FORMATS)}", param_hint="--format")
            if FORMATS[name] not in chosen:
                chosen.append(FORMATS[name])
    return chosen


@contextmanager
def writing_to(path: Path) -> Iterator[None]:
    """Failing to write ``path`` or a file under it (no folder, no permission, disk full) is
    the user's :class:`OutputError`, not a crash."""
    try:
        yield
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from exc


def _open(path: Path, reporter: Reporter) -> IO[Any]:
    return path.open("wb") if reporter.binary else path.open("w", encoding="utf-8")


def summary_line(result: ScanResult) -> str:
    """One line a CI log shows whatever the report's destination: findings by severity,
    services, and what could not be read."""
    from ecs_exposure.model import Severity

    findings = result.findings + result.task_definition_findings
    counts = [f"{sum(1 for f in findings if f.severity == s)} {s.name}"
              for s in sorted(Severity, reverse=True)]
    text = (f"ecs-exposure: {len(findings)} finding{'s' * (len(findings) != 1)} "
            f"({', '.join(counts)}) in {result.services} service"
            f"{'s' * (result.services != 1)}")
    problems = [f"{n} {label}" for n, label in (
        (len(result.errors), "input errors" if len(result.errors) != 1 else "input error"),
        (len(result.skipped), "skipped"), (len(result.incomplete), "incomplete")) if n]
    return text + ("; " + ", ".join(problems) if problems else "")


def report_outcome(stderr: Console, result: ScanResult, quiet: bool = False) -> None:
    """Every input error, then (unless ``quiet``) the one-line summary, on standard error:
    a report written to a file or read by a program must not hide that inputs were missing."""
    for error in result.errors:
        print_error(stderr, f"{error.source}: {error.message}")
    if not quiet:
        stderr.print(_inert(summary_line(result)), markup=False, highlight=False,
                     soft_wrap=True)


def explain_exit(stderr: Console, code: int, fail_on: str,
                 fail_on_new: str | None = None) -> None:
    """Say why the scan exits with a failure code, so a red CI step is never silent
    (``fail_on_new``: the failure came from ``--fail-on-new`` at that severity)."""
    from ecs_exposure.cli.exit_codes import ExitCode

    if code == ExitCode.FAILED and fail_on_new is not None:
        print_error(stderr, f"failing: a new or worse finding reaches --fail-on-new "
                    f"{fail_on_new} since the baseline (exit 1)")
    elif code == ExitCode.FAILED:
        print_error(stderr, f"failing: a finding reaches --fail-on {fail_on} (exit 1)")
    elif code == ExitCode.INCOMPLETE:
        print_error(stderr, "incomplete: some data could not be read and --strict is set "
                    "(exit 4)")


def emit(result: ScanResult, reporters: Iterable[Reporter], output: Path | None,
         output_dir: Path | None, details: bool, context: ReportContext | None = None,
         compliance: tuple[ComplianceReport, ...] = (),
         only: Literal["findings", "posture"] | None = None,
         csv_dialect: str = "excel", include: frozenset[str] = frozenset(), *,
         source_root: Path | None = None,
         warn: Callable[[str], None] | None = None) -> None:
    """Write the result with each reporter into ``output_dir`` (under its file name), or with
    the first to ``output`` or standard output (``context``: the scan's fixed revisions and
    evidence positions, handed to every reporter; ``compliance``: the ``--compliance``
    reports; ``only``: the part ``--only`` kept; ``include``: ``--include``;
    ``source_root``: ``--source-root``; ``warn``: told when a format had to leave
    something out).

    Report files in a folder always carry the details: they are read later, without a
    ``--details`` to ask for them again.
    """
    chosen = list(reporters)
    if output_dir is not None:
        from ecs_exposure.reporters.output_dir import write_reports

        with writing_to(output_dir):  # links inside the folder are never followed
            write_reports(output_dir, chosen, result, ReportOptions(
                details=True, context=context, compliance=compliance, only=only,
                csv_dialect=csv_dialect, include=include, source_root=source_root,
                warn=warn))
        return
    reporter = chosen[0]
    if output is not None:
        with writing_to(output), _open(output, reporter) as stream:
            reporter.write(result, stream, ReportOptions(details=details, context=context,
                                                         compliance=compliance, only=only,
                                                         csv_dialect=csv_dialect,
                                                         include=include, source_root=source_root,
                                                         warn=warn))
        return
    sys.stdout.flush()
    stdout: IO[Any] = sys.stdout.buffer if reporter.binary else sys.stdout
    try:
        reporter.write(result, stdout, ReportOptions(
            details=details, terminal=True, context=context, compliance=compliance, only=only,
            csv_dialect=csv_dialect, include=include, source_root=source_root,
            warn=warn))
        stdout.flush()
    except BrokenPipeError as exc:
        # The reader went away (`| head`): say so once, and keep the interpreter from
        # failing again on its own final flush of the closed pipe.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise OutputError("standard output was closed before the report was written") from exc
