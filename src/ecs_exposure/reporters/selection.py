"""What the user asked to see: ``--only findings|posture`` and ``--min-severity``.

A view, applied to a copy of the result just before it is written: the exit code
(``--fail-on``) and compliance reports are computed from the whole result, so narrowing the
output never hides a failure or turns a failing control into a passing one.

``--min-severity`` keeps findings of at least that severity, and posture traits whose own
severity (:func:`ecs_exposure.exposure.posture.severity_of`) reaches it; a posture entry with
no trait left is dropped.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from ecs_exposure.exposure.posture import severity_of
from ecs_exposure.model import PostureEntry, ScanResult, Severity

Only = Literal["findings", "posture"]
ONLY: tuple[Only, ...] = ("findings", "posture")


def _posture(entries: tuple[PostureEntry, ...], floor: Severity) -> tuple[PostureEntry, ...]:
    kept = []
    for entry in entries:
        traits = tuple(t for t in entry.traits if severity_of(t) >= floor)
        if traits:
            kept.append(entry if len(traits) == len(entry.traits)
                        else replace(entry, traits=traits))
    return tuple(kept)


def select(result: ScanResult, only: Only | None = None,
           min_severity: Severity | None = None) -> ScanResult:
    """``result`` narrowed to what is shown; ``result`` itself when nothing is narrowed."""
    if only is None and min_severity is None:
        return result
    findings, unattached, posture = (result.findings, result.task_definition_findings,
                                     result.posture)
    if min_severity is not None:
        findings = tuple(f for f in findings if f.severity >= min_severity)
        unattached = tuple(f for f in unattached if f.severity >= min_severity)
        posture = _posture(posture, min_severity)
    if only == "findings":
        posture = ()
    elif only == "posture":
        findings = unattached = ()
    return replace(result, findings=findings, task_definition_findings=unattached,
                   posture=posture)


__all__ = ["ONLY", "Only", "select"]
