"""Reporters write one ScanResult to a stream; none of them recomputes anything.

Each format is one module implementing :class:`~ecs_exposure.reporters.base.Writer` and one
entry below, with the file name it gets under ``--output-dir``; the CLI offers exactly the
formats registered, so adding a format is adding one module and one entry. Every reporter gets
the result and, in its :class:`~ecs_exposure.reporters.base.ReportOptions`, the scan's
:class:`~ecs_exposure.reporters.context.ReportContext` (fixed revisions, evidence positions).
"""

from __future__ import annotations

from ecs_exposure.reporters.base import Reporter

FORMATS: dict[str, Reporter] = {
    "table": Reporter("table", "report.txt", "terminal", locates_evidence=False),
    "json": Reporter("json", "result.json", "json_report", binary=True,
                     locates_evidence=False),
    "ocsf": Reporter("ocsf", "findings.ocsf.json", "ocsf"),
    "asff": Reporter("asff", "findings.asff.json", "asff"),
    "sarif": Reporter("sarif", "results.sarif", "sarif"),
    "html": Reporter("html", "report.html", "html"),
    "csv": Reporter("csv", "traits.csv", "csv_report"),
    "markdown": Reporter("markdown", "report.md", "markdown"),
}
"""Registered formats, in ``--help`` order; modules load on first use so ``--help`` stays
fast."""
