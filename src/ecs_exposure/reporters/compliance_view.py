"""Compliance reports (``--compliance NAME``) as the formats show them: the JSON section, and
the rows the Markdown, HTML and terminal tables share.

Every format gives, per control, its status, the reason, the failing resources and the
evidence of the first failures; the JSON gives every failure with the same evidence, location
and remediation fields as a finding's traits, then the controls no trait covers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ecs_exposure.analysis.arn import parse_arn
from ecs_exposure.detectors.spec import Control
from ecs_exposure.exposure.compliance import ComplianceReport, ControlResult, Failure
from ecs_exposure.model import Trait
from ecs_exposure.sources.positions import PositionCache

TraitDict = Callable[[Trait], dict[str, Any]]
"""The JSON renderer's view of one trait (evidence, location, remediation)."""

SHOWN_RESOURCES = 5
"""Failing resources named in a table cell; the JSON lists them all."""
STATUS_LABELS = {"pass": "✅ pass", "fail": "❌ fail", "not-evaluated": "⚪ not evaluated"}


def control_label(control: Control) -> str:
    """What a table calls a control: a Well-Architected practice by its text (the six share
    one id), any other control by id and title."""
    if control.framework == "AWS Well-Architected":
        return control.title.split(": ", 1)[-1].capitalize()
    return f"{control.id} {control.title}"


def resource_name(resource: str) -> str:
    """A short, typed name for a failing resource: the resource part of its ARN
    (``task-definition/web:7``, ``repository/web``, ``role/web-task``), else the key it was
    read under (a task definition without an ARN)."""
    parsed = parse_arn(resource)
    return parsed.resource if parsed is not None and parsed.resource else resource


def failure_dict(failure: Failure, trait_dict: TraitDict) -> dict[str, Any]:
    """One failing resource with its evidence; ``in`` lists the posture entries carrying it
    (a shared role's weakness is in every task definition using it)."""
    return {"resource": failure.trait.resource, "in": [e.arn for e in failure.entries],
            "trait": trait_dict(failure.trait)}


def control_dict(result: ControlResult, trait_dict: TraitDict) -> dict[str, Any]:
    control = result.control
    entry: dict[str, Any] = {"id": control.id, "title": control.title, "url": control.url,
                             "status": result.status, "reason": result.reason}
    if control.note:
        entry["note"] = control.note
    entry["traits"] = list(result.traits)
    entry["coverage"] = [{"trait": c.trait, "state": c.state, "detail": c.detail}
                         for c in result.coverage]
    entry["failures"] = [failure_dict(f, trait_dict) for f in result.failures]
    return entry


def report_dict(report: ComplianceReport, trait_dict: TraitDict) -> dict[str, Any]:
    """The JSON result's ``compliance[NAME]``."""
    framework = report.framework
    return {
        "title": framework.title,
        "url": framework.url,
        "summary": report.counts(),
        "controls": [control_dict(c, trait_dict) for c in report.controls],
        "not_covered": [{"id": u.control.id, "title": u.control.title, "url": u.control.url,
                         "reason": u.reason} for u in report.uncovered],
    }


@dataclass(frozen=True)
class Evidence:
    """One failing trait of a control: on how many resources, and its first instance."""

    trait: str
    resources: int
    detail: str
    location: str
    """``file line N``, else resource and JSON pointer."""


@dataclass(frozen=True)
class Row:
    """One control as the tables show it (plain text; each format escapes it)."""

    control: str
    status: str
    resources: str
    """Failing resources, the first :data:`SHOWN_RESOURCES` by name, then ``(+N)``."""
    evidence: tuple[Evidence, ...]
    """Per failing trait, its first instance; empty when the control did not fail."""
    reason: str
    """Why the control passed, failed or was not evaluated."""


def locator(positions: PositionCache) -> Callable[[Trait], str]:
    """Where a trait's evidence is, as a table shows it: ``file line N`` when it was found in
    an input file, else the resource and the JSON pointer."""
    def locate(trait: Trait) -> str:
        if trait.source and trait.file_pointer is not None:
            found = positions.locate(trait.source, trait.file_pointer)
            if found is not None:
                return f"{trait.source} line {found.line}"
        return f"{trait.resource} {trait.pointer}"
    return locate


def row(result: ControlResult, locate: Callable[[Trait], str]) -> Row:
    """A control's table row; ``locate`` turns a trait into its evidence location."""
    names = list(dict.fromkeys(resource_name(f.trait.resource) for f in result.failures))
    shown = ", ".join(names[:SHOWN_RESOURCES]) + (
        f" (+{len(names) - SHOWN_RESOURCES})" if len(names) > SHOWN_RESOURCES else "")
    first: dict[str, Trait] = {}
    resources: dict[str, set[str]] = {}
    for failure in result.failures:
        first.setdefault(failure.trait.id, failure.trait)
        resources.setdefault(failure.trait.id, set()).add(failure.trait.resource)
    evidence = tuple(Evidence(trait_id, len(resources[trait_id]), trait.detail, locate(trait))
                     for trait_id, trait in first.items())
    return Row(control_label(result.control), result.status, shown or "-", evidence,
               result.reason)


__all__ = ["SHOWN_RESOURCES", "STATUS_LABELS", "Evidence", "Row", "TraitDict", "control_dict",
           "control_label", "failure_dict", "locator", "report_dict", "resource_name", "row"]
