"""Shell commands that are safe to paste, and secret names Secrets Manager accepts.

PLAN.md tells an operator which commands to run, and names in it (a task definition family,
an environment variable, a cluster) come from inputs anyone can write: a variable called
``DB_PASSWORD'$(touch${IFS}PWNED)'`` must not become a command substitution in the operator's
shell. So a command is never assembled by hand: it is a list of arguments, each checked to fit
on one printable line, joined by :func:`shlex.join` (which quotes whatever needs quoting). A
pipe between two such commands is the only shell syntax added.

Secret names are made valid for Secrets Manager (ASCII letters, digits and ``/_+=.@-``, at most
512 characters) before they are used, so the name in ``valueFrom`` and the name PLAN.md
creates are the same string, and one that had to be changed carries a short hash of the
original to stay unique.
"""

from __future__ import annotations

import hashlib
import re
import shlex
from collections.abc import Sequence

SECRET_NAME_MAX = 512
"""Longest secret name Secrets Manager accepts."""
_INVALID = re.compile(r"[^A-Za-z0-9/_+=.@-]+")
_VALID_NAME = re.compile(r"[A-Za-z0-9/_+=.@-]{1,512}")
_AMBIGUOUS_END = re.compile(r"-[A-Za-z0-9]{6}\Z")
"""A name ending in ``-`` and six characters reads as a full ARN's random suffix when ECS
resolves a partial ARN, and then names a secret that does not exist."""
_HASH_CHARS = 8
_SECRET_ARN_PREFIX = re.compile(
    r"arn:[a-z0-9-]+:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]*")


class UnprintableArgument(ValueError):
    """An argument that cannot be shown on one line of a command (a newline, a control or
    bidi character): printing it would hide what the command does."""


def is_valid_secret_name(name: str) -> bool:
    """Whether Secrets Manager accepts ``name`` as it is, and ECS resolves it unambiguously."""
    return bool(_VALID_NAME.fullmatch(name)) and not _AMBIGUOUS_END.search(name)


def secret_name(raw: str) -> str:
    """``raw`` as a valid secret name: unchanged when it already is one; otherwise every run of
    characters Secrets Manager refuses becomes ``_``, and ``_`` plus a short SHA-256 of the
    original is appended (cut to fit 512), so two different originals never share a name."""
    if is_valid_secret_name(raw):
        return raw
    digest = hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:_HASH_CHARS]
    cleaned = _INVALID.sub("_", raw)[:SECRET_NAME_MAX - _HASH_CHARS - 1]
    return f"{cleaned}_{digest}"


def is_valid_secret_arn_prefix(prefix: str) -> bool:
    """Whether ``--secret-arn-prefix`` is a Secrets Manager ARN up to ``secret:`` (plus an
    optional valid name prefix such as ``team/``), so every name appended stays valid."""
    return bool(_SECRET_ARN_PREFIX.fullmatch(prefix))


def command_line(argv: Sequence[str]) -> str:
    """One shell command from its arguments, each quoted as needed by :func:`shlex.join`;
    ``shlex.split`` of the result gives ``argv`` back. Raises :class:`UnprintableArgument`
    rather than print an argument that would span lines or hide characters."""
    for argument in argv:
        if not argument.isprintable():
            raise UnprintableArgument(f"argument {argument!r} cannot be shown on a command line")
    return shlex.join(argv)


def pipeline(*commands: Sequence[str]) -> str:
    """Commands joined by ``|``, each built by :func:`command_line`."""
    return " | ".join(command_line(argv) for argv in commands)
