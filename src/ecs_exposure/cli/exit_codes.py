"""Every exit code of the command line, and which error leads to which.

Scripts and CI gates branch on these numbers, so they are a contract: each code has one
meaning, and 1 is only ever "the check failed" (a finding reached ``--fail-on``, the image
policy fails, an ``--apply`` step failed), never a crash.
"""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING

from ecs_exposure.errors import (
    CollectionError,
    ConfigError,
    EcsExposureError,
    ImageError,
    InputError,
    OutputError,
    PolicyError,
)

if TYPE_CHECKING:
    from ecs_exposure.model import ScanResult


class ExitCode(IntEnum):
    """The exit codes (README "Exit codes" lists the same table)."""

    OK = 0
    """Nothing reached ``--fail-on``; the image passes; the command did what was asked."""
    FAILED = 1
    """An open finding reached ``--fail-on``, or a new one ``--fail-on-new``; ``image``: the
    policy fails; ``fix --apply``: a step failed or was skipped; ``intel update``: a download
    failed (the cached copy is kept)."""
    USAGE = 2
    """Usage error, or input that cannot be used: nothing could be read or collected, a bad
    config file, policy, baseline, parameters file or image, an output that cannot be
    written."""
    SECURITY_HUB = 3
    """``--security-hub`` could not import every finding."""
    INCOMPLETE = 4
    """``--strict`` and some data could not be read (errors or incomplete resources)."""
    INTERNAL = 70
    """An unexpected exception: a bug in ecs-exposure (``EX_SOFTWARE`` of sysexits.h)."""


ERROR_CODES: dict[type[EcsExposureError], ExitCode] = {
    EcsExposureError: ExitCode.USAGE,
    InputError: ExitCode.USAGE,
    CollectionError: ExitCode.USAGE,
    PolicyError: ExitCode.USAGE,
    ConfigError: ExitCode.USAGE,
    ImageError: ExitCode.USAGE,
    OutputError: ExitCode.USAGE,
}
"""The exit code of each error class; a subclass not listed takes its nearest listed
ancestor's, so the root makes the lookup total."""


def for_error(error: EcsExposureError) -> ExitCode:
    """The exit code ``error`` ends the command with."""
    return next(ERROR_CODES[cls] for cls in type(error).__mro__ if cls in ERROR_CODES)


def for_result(result: ScanResult, fail_on: str, strict: bool = False,
               fail_on_new: str = "none") -> ExitCode:
    """FAILED when an open finding (service or unattached task definition; suppressed ones
    never count) reaches ``fail_on``, or, compared with a baseline, reaches ``fail_on_new``
    and was not at or above it in the baseline (new, or worse from below it); else INCOMPLETE
    under ``strict`` when some data could not be read (errors, expired suppressions,
    incomplete resources); else OK."""
    from ecs_exposure.exposure.baseline import new_findings
    from ecs_exposure.exposure.suppressions import open_findings
    from ecs_exposure.model import Severity

    if fail_on != "none":
        threshold = Severity.parse(fail_on)
        if any(f.severity >= threshold for f in open_findings(result)):
            return ExitCode.FAILED
    if fail_on_new != "none" and new_findings(result, Severity.parse(fail_on_new)):
        return ExitCode.FAILED
    return ExitCode.INCOMPLETE if strict and (result.errors or result.incomplete) else ExitCode.OK
