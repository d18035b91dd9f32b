"""The errors the library raises on purpose, under one root.

Anything derived from :class:`EcsExposureError` is a problem with what the user gave us (a
file, an option, a policy, an image, AWS access) and is reported as ``error: <message>``;
any other exception escaping a command is a bug in ecs-exposure. The command line maps each
class to an exit code in one table (``ecs_exposure.cli.exit_codes``). Nothing here imports
the rest of the package, so every layer can raise these without a cycle or a slow import.
"""

from __future__ import annotations

from collections.abc import Iterable


class EcsExposureError(Exception):
    """A problem with the user's inputs or environment, worded for the user.

    ``problems`` are reported one per line before the message, for an error that sums up
    several (every input that could not be read, say).
    """

    def __init__(self, message: str, problems: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.problems = tuple(problems)


class InputError(EcsExposureError):
    """An input file (or option value) that cannot be used; the message names the problem
    (and its position)."""


class BaselineError(InputError):
    """A ``--baseline`` that is not a readable ecs-exposure JSON result; the message says
    what is wrong with it."""


class ConfigError(EcsExposureError):
    """A config file (``.ecs-exposure.yaml``) that cannot be used; the message names the file,
    line, column and JSON pointer of each problem."""


class CollectionError(EcsExposureError):
    """A problem that stops the whole live collection (no credentials, no region, bad
    options)."""


class PolicyError(EcsExposureError):
    """A hardened-image policy that cannot be used; the message names the file and the failing
    path."""


class ImageError(EcsExposureError):
    """An image layout or archive that cannot be read, or an image that cannot be matched to
    the reference it is checked as; the message names the problem. A cap of
    ``ImageLimits`` that is hit is its subclass ``LimitError``
    (:mod:`ecs_exposure.analysis.images.limits`)."""


class OutputError(EcsExposureError):
    """A report or snapshot that cannot be written (missing folder, no permission, disk
    full)."""


class StoreError(EcsExposureError):
    """A findings store (``--store``) that cannot be opened, migrated or written, or a scan or
    finding the store does not hold; the message names the store without its password."""
