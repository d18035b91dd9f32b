"""What reporters look up beside a result: fixed task definitions and evidence positions.

A :class:`ecs_exposure.model.ScanResult` is data. These two are not: a finding's fixed
revision is built from the scan's inputs when it is rendered (holding one per finding would
cost hundreds of megabytes on a large estate), and evidence positions are located by reading
the input files again, perhaps in a worker process the scan started. So they live in this
object, which the caller owns, hands to every reporter with the result, and closes when the
reports are written (:func:`ecs_exposure.pipeline.scan_for_reports` makes one).
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import chain
from types import TracebackType

from ecs_exposure.model import Finding, Json, ScanResult, evidence_pairs
from ecs_exposure.sources.positions import PositionCache


class ReportContext:
    """Lazy lookups for the reporters of one result; ``ReportContext()`` is the context of a
    result alone: positions located from the input files on demand, no fixed revisions."""

    __slots__ = ("changes", "fixes", "positions")

    def __init__(self, *, fixes: Callable[[Finding], Json | None] | None = None,
                 positions: PositionCache | None = None,
                 changes: Callable[[Finding], list[Json] | None] | None = None) -> None:
        self.changes = changes
        """The same fix as JSON Patch operations against the running revision
        (:meth:`ecs_exposure.remediation.fixed.FixedRevisions.changes`); ``None``: no fixes."""
        self.fixes = fixes
        """Builds a finding's fixed revision on demand
        (:class:`ecs_exposure.remediation.fixed.FixedRevisions`); ``None``: no fixes."""
        self.positions = positions if positions is not None else PositionCache()
        """Evidence positions; the scan may be locating them in the background already."""

    def evidence_positions(self, result: ScanResult) -> PositionCache:
        """Where every trait's evidence sits in its input file: the background work the scan
        started, collected, and completed for all of ``result``'s findings and posture."""
        self.positions.prefetch(evidence_pairs(chain(
            (t for f in result.findings + result.task_definition_findings for t in f.traits),
            (t for e in result.posture for t in e.traits))))
        return self.positions

    def fixed_task_definition(self, finding: Finding) -> Json | None:
        """The new revision that removes ``finding``'s task-definition traits, as
        ``register-task-definition`` input (credentials moved to ``secrets``, never written
        out); ``None`` when no task-definition change fixes anything, or without fixes."""
        return None if self.fixes is None else self.fixes(finding)

    def fix_changes(self, finding: Finding) -> list[Json] | None:
        """:meth:`fixed_task_definition` as the list of changes to the running revision
        (RFC 6902 JSON Patch), what the compact JSON result carries; ``None`` as there."""
        return None if self.changes is None else self.changes(finding)

    def close(self) -> None:
        """Stop a background position worker whose answers nobody will read."""
        self.positions.close()

    def __enter__(self) -> ReportContext:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()
