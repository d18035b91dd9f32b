"""Reporters render one ScanResult; none of them recomputes anything.

Each file format registers here with the file name it gets under ``--output-dir``; the CLI
offers exactly the formats registered, so adding a format is adding one module and one entry.
Every reporter takes the result and, beside it, the scan's
:class:`~ecs_exposure.reporters.context.ReportContext` (fixed revisions, evidence positions).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING

from ecs_exposure.model import ScanResult

if TYPE_CHECKING:
    from ecs_exposure.reporters.context import ReportContext

Render = Callable[[ScanResult, "ReportContext | None"], str]
"""``render(result, context)``: one format's text."""


@dataclass(frozen=True)
class Format:
    """One output format."""

    name: str
    filename: str
    """File name used under ``--output-dir``."""
    render: Render


def _table(result: ScanResult, context: ReportContext | None) -> str:
    from ecs_exposure.reporters import terminal

    return terminal.render_text(result, details=True, context=context)


def _module(name: str) -> Render:
    """``render`` of ``ecs_exposure.reporters.<name>``, imported on first use."""

    def render(result: ScanResult, context: ReportContext | None) -> str:
        module = import_module(f"ecs_exposure.reporters.{name}")
        text: str = module.render(result, context)
        return text

    return render


FORMATS: dict[str, Format] = {
    "table": Format("table", "report.txt", _table),
    "json": Format("json", "result.json", _module("json_report")),
    "ocsf": Format("ocsf", "findings.ocsf.json", _module("ocsf")),
    "asff": Format("asff", "findings.asff.json", _module("asff")),
    "sarif": Format("sarif", "results.sarif", _module("sarif")),
    "html": Format("html", "report.html", _module("html")),
    "csv": Format("csv", "traits.csv", _module("csv_report")),
    "markdown": Format("markdown", "report.md", _module("markdown")),
}
"""Registered formats; imports are lazy so ``--help`` stays fast."""
