"""The one interface every output format implements: write a result to a stream.

A format is a module with a ``write(result, stream, options)`` function (the :class:`Writer`
protocol) and one :class:`Reporter` entry in ``ecs_exposure.reporters.FORMATS``. Writing to a
stream rather than returning a string lets a large result go out piece by piece, and lets the
caller choose the destination (standard output, ``--output``, ``--output-dir``) without
knowing which format it is handling.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from ecs_exposure.exposure.compliance import ComplianceReport
    from ecs_exposure.model import ScanResult
    from ecs_exposure.reporters.context import ReportContext

LOCATIONS = "locations"
INCLUDES = ("vulnerabilities", "fixed-revisions", LOCATIONS)
"""``scan --include`` values: what the compact JSON result (``result@3``) leaves out: every
vulnerability of every image, each finding's whole fixed revision, and the line and column
of each trait's evidence in its input file (``evidence.file_pointer`` and ``location``: they
mean reading every input file again, which only file-based formats need)."""
CSV_DIALECTS = ("excel", "unix")
"""CSV dialects (``scan --csv-dialect``), the default first; see
:mod:`ecs_exposure.reporters.csv_report`."""


@dataclass(frozen=True)
class ReportOptions:
    """How the caller wants the report; formats ignore what does not apply to them."""

    details: bool = False
    """Per-finding reason, attack path, evidence and fix, for formats that make them
    optional (the table)."""
    terminal: bool = False
    """The stream is standard output: a format meant for people may use the terminal's width
    and colours. Files get plain, fixed-width text."""
    csv_dialect: str = "excel"
    """CSV only: ``excel`` (UTF-8 BOM, CRLF rows, what a double-click in Excel reads right) or
    ``unix`` (neither, for pipes)."""
    context: ReportContext | None = None
    """What the scan hands its reporters beside the result: each finding's fixed revision and
    the evidence positions (:func:`ecs_exposure.pipeline.scan_for_reports`). ``None``: the
    result alone, positions located from the input files on demand and no fixed revisions."""
    only: Literal["findings", "posture"] | None = None
    """``--only``: the result was narrowed to findings or to posture, so a format leaves the
    other part out rather than call it empty."""
    compliance: tuple[ComplianceReport, ...] = ()
    """The ``--compliance`` reports to render beside the result (computed from the whole
    result, before any ``--only``/``--min-severity`` narrowing); formats without a compliance
    view ignore them."""
    source_root: Path | None = None
    """``--source-root``: file locations are given relative to this folder (SARIF, for code
    scanning); ``None``: the current directory."""
    warn: Callable[[str], None] | None = None
    """Told, once per message, when a format had to leave something out (SARIF past GitHub's
    result limit), so the command can say so on standard error."""
    include: frozenset[str] = frozenset()
    """``--include``: full listings the compact JSON result leaves out
    (:data:`INCLUDES`); formats that never show them ignore it."""


class Writer(Protocol):
    """``write`` of a format module."""

    def __call__(self, result: ScanResult, stream: Any, options: ReportOptions, /) -> None:
        """Write ``result`` to ``stream`` (binary if the format's :attr:`Reporter.binary`)."""


@dataclass(frozen=True)
class Reporter:
    """One output format as the command line offers it."""

    name: str
    """The ``--format`` name."""
    filename: str
    """File name used under ``--output-dir``."""
    module: str
    """Module of ``ecs_exposure.reporters`` holding ``write``; imported on first use so
    ``--help`` does not pay for every format."""
    binary: bool = False
    """``write`` takes a binary stream (and writes UTF-8); otherwise a text stream."""
    locates_evidence: bool = True
    """The report gives each evidence's line and column in its input file, so the scan starts
    locating them early, in the background; ``False``: only with
    :attr:`ReportOptions.details`."""

    def write(self, result: ScanResult, stream: IO[Any], options: ReportOptions) -> None:
        """Write ``result`` in this format to ``stream``."""
        writer: Writer = import_module(f"ecs_exposure.reporters.{self.module}").write
        writer(result, stream, options)


def writes_text(render: Callable[[ScanResult, ReportContext | None], str]) -> Writer:
    """The :class:`Writer` of a format that builds its whole report as one string with
    ``render(result, context)``."""

    def write(result: ScanResult, stream: IO[str], options: ReportOptions, /) -> None:
        stream.write(render(result, options.context))

    return write
