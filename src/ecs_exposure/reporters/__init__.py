"""Reporters render one ScanResult; none of them recomputes anything.

Each file format registers here with the file name it gets under ``--output-dir``; the CLI
offers exactly the formats registered, so adding a format is adding one module and one entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ecs_exposure.model import ScanResult


@dataclass(frozen=True)
class Format:
    """One output format."""

    name: str
    filename: str
    """File name used under ``--output-dir``."""
    render: Callable[[ScanResult], str]


def _json(result: ScanResult) -> str:
    from ecs_exposure.reporters import json_report

    return json_report.render(result)


def _table(result: ScanResult) -> str:
    from ecs_exposure.reporters import terminal

    return terminal.render_text(result, details=True)


FORMATS: dict[str, Format] = {
    "table": Format("table", "report.txt", _table),
    "json": Format("json", "result.json", _json),
}
"""Registered formats; imports are lazy so ``--help`` stays fast."""
