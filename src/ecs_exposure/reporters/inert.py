"""Input text made inert for a terminal: :func:`safe`, on its own.

It lives apart from :mod:`ecs_exposure.reporters.terminal` (which re-exports it) because the
commands that only print a line or a progress display (``collect``, error messages) need it
without importing rich tables, the exposure stage and every reporter the table view uses.
"""

from __future__ import annotations

import re
import unicodedata

_NOT_PLAIN = re.compile(r"[^\t\n\x20-\x7e]")
"""Candidates for escaping: everything but tab, newline and printable ASCII (a fast pass; the
Unicode category of each candidate decides)."""
ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
"""C0/C1 controls, format characters (bidi marks and overrides such as U+200E, U+200F, U+061C,
U+202E, zero-width characters, tags), lone surrogates and line/paragraph separators: each can
reorder, hide or break what is shown."""


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return f"\\x{ord(char):02x}" if unicodedata.category(char) in ESCAPED_CATEGORIES else char


def safe(value: object) -> str:
    """Make input text inert on a terminal: control, format (bidi) and separator characters
    shown as escapes (``\\x1b``, ``\\x200e``); tab and newline kept. The categories come from
    the running Python's Unicode database, so a newly assigned format character is covered."""
    return _NOT_PLAIN.sub(_escape, str(value))
