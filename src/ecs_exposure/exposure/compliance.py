"""Compliance reports: each control of a framework passed, failed or not evaluated, with the
failing resources and their evidence.

A control fails on every resource carrying a trait the control maps to (the mapping is data
on the trait specs: ``TraitSpec.controls``). It passes only when none does *and* every one of
those traits could be judged on every resource it applies to: a detector that needs an IAM
role's policies, an image's contents or a vulnerability report cannot fire without them, so
with them missing the control is *not evaluated* (unknown is never a pass). What was missing
is said per trait (:class:`TraitCoverage`).

The report is computed from a result's posture and coverage alone, so it needs no inventory
and every reporter renders the same answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from ecs_exposure.detectors.frameworks import FRAMEWORKS, FrameworkSpec, Uncovered, control_key
from ecs_exposure.detectors.registry import catalog, scope_of
from ecs_exposure.detectors.spec import Control, Need, TraitSpec
from ecs_exposure.model import Coverage, ImageCoverage, PostureEntry, ScanResult, Trait

Status = Literal["pass", "fail", "not-evaluated"]
STATUSES: tuple[Status, ...] = ("fail", "not-evaluated", "pass")
"""Statuses in the order reports count them."""

_SCOPE_NAMES = {"task-definition": "task definitions", "service": "services",
                "cluster": "clusters"}
_IMAGE_NEEDS: dict[Need, tuple[str, str]] = {
    "image-contents": ("contents", "inspected"),
    "image-metadata": ("metadata", "with a known build or push date"),
    "vulnerability-reports": ("reports", "covered by a vulnerability report"),
}


@dataclass(frozen=True)
class TraitCoverage:
    """How completely one trait could be judged with the scan's inputs."""

    trait: str
    state: Literal["complete", "partial", "none"]
    detail: str
    """What was judged, or what was missing (``3 of 10 images inspected``)."""


@dataclass(frozen=True)
class Failure:
    """One failing resource: a trait instance, and the posture entries that carry it."""

    trait: Trait
    """The evidence (the first instance seen; the others are identical but for the entry)."""
    entries: tuple[PostureEntry, ...]
    """Where it was found: a shared IAM role's or repository's weakness is in every task
    definition using it."""


@dataclass(frozen=True)
class ControlResult:
    """One control: its status, why, and what fails it."""

    control: Control
    status: Status
    reason: str
    traits: tuple[str, ...]
    """The traits that map to the control."""
    failures: tuple[Failure, ...]
    coverage: tuple[TraitCoverage, ...]


@dataclass(frozen=True)
class ComplianceReport:
    """A framework's controls, evaluated, and the ones no trait covers."""

    framework: FrameworkSpec
    controls: tuple[ControlResult, ...]
    uncovered: tuple[Uncovered, ...]

    def counts(self) -> dict[str, int]:
        """Controls per status (``fail``, ``not-evaluated``, ``pass``), then ``not-covered``."""
        counts: dict[str, int] = {status: 0 for status in STATUSES}
        for result in self.controls:
            counts[result.status] += 1
        counts["not-covered"] = len(self.uncovered)
        return counts


def _image_coverage(needs: tuple[Need, ...], images: tuple[ImageCoverage, ...]
                    ) -> tuple[int, int, str]:
    """Images judged (any one of ``needs`` supplied for it), of all images, and how."""
    fields = [_IMAGE_NEEDS[n] for n in needs if n in _IMAGE_NEEDS]
    judged = sum(1 for image in images if any(getattr(image, f) for f, _ in fields))
    return judged, len(images), " or ".join(how for _, how in fields)


def trait_coverage(spec: TraitSpec, coverage: Coverage) -> TraitCoverage:
    """How completely ``spec`` could be judged with the inputs ``coverage`` describes."""
    scope = scope_of(spec.id)
    count = {"task-definition": coverage.task_definitions, "service": coverage.services,
             "cluster": coverage.clusters}[scope]
    noun = _SCOPE_NAMES[scope]
    if not count:
        return TraitCoverage(spec.id, "none", f"no {noun} in the inputs")
    if not spec.needs:
        return TraitCoverage(spec.id, "complete", f"{count} {noun if count > 1 else noun[:-1]}")
    if any(n in _IMAGE_NEEDS for n in spec.needs):
        judged, total, how = _image_coverage(spec.needs, coverage.images)
        detail = f"{judged} of {total} images {how}"
    elif "iam" in spec.needs:
        judged, total = coverage.roles
        detail = f"{judged} of {total} IAM roles the task definitions name are in the inputs"
    elif "security-groups" in spec.needs:
        judged, total = coverage.security_groups
        detail = f"{judged} of {total} security groups the services name are in the inputs"
    else:  # signature-policy
        judged, total = (1, 1) if coverage.signature_policy else (0, 1)
        detail = ("the image policy requires verified signatures" if judged else
                  "the image policy does not require signatures, so none was checked")
    state: Literal["complete", "partial", "none"] = (
        "complete" if judged == total else "partial" if judged else "none")
    return TraitCoverage(spec.id, state, detail)


def _failures(entries: Iterable[PostureEntry], trait_ids: frozenset[str], where: str
              ) -> tuple[Failure, ...]:
    """Distinct failing trait instances (the same evidence carried by several entries is one
    failure), in posture order; ``where``: only evidence under this pointer prefix."""
    found: dict[tuple[str, str, str, str | None, str], tuple[Trait, list[PostureEntry]]] = {}
    for entry in entries:
        for trait in entry.traits:
            if trait.id in trait_ids and trait.pointer.startswith(where):
                key = (trait.id, trait.resource, trait.pointer, trait.container, trait.detail)
                found.setdefault(key, (trait, []))[1].append(entry)
    return tuple(Failure(trait, tuple(where)) for trait, where in found.values())


def _reason(status: Status, failures: tuple[Failure, ...],
            coverage: tuple[TraitCoverage, ...]) -> str:
    if status == "fail":
        resources = len({f.trait.resource for f in failures})
        return f"{resources} resource{'s' if resources != 1 else ''} fail" + (
            "s" if resources == 1 else "")
    if status == "pass":
        return "no failing resource; judged on " + "; ".join(
            dict.fromkeys(c.detail for c in coverage))
    return "could not be judged: " + "; ".join(
        f"{c.trait}: {c.detail}" for c in coverage if c.state != "complete")


def evaluate_control(control: Control, specs: list[TraitSpec],
                     posture: tuple[PostureEntry, ...], coverage: Coverage) -> ControlResult:
    """One control from the traits mapping to it."""
    ids = frozenset(s.id for s in specs)
    failures = _failures(posture, ids, control.where)
    judged = tuple(trait_coverage(spec, coverage) for spec in specs)
    status: Status = ("fail" if failures else
                      "pass" if all(c.state == "complete" for c in judged) else
                      "not-evaluated")
    return ControlResult(control, status, _reason(status, failures, judged),
                         tuple(s.id for s in specs), failures, judged)


def mapped_controls(framework: FrameworkSpec) -> list[tuple[Control, list[TraitSpec]]]:
    """The framework's controls some trait maps to, in the framework's order, each with its
    traits."""
    specs: dict[Control, list[TraitSpec]] = {}
    for spec in catalog():
        for control in spec.controls:
            if control.framework == framework.framework:
                specs.setdefault(control, []).append(spec)
    order = {c: i for i, c in enumerate(framework.order)}
    controls = sorted(specs, key=lambda c: (order.get(c, len(order)), control_key(c)))
    return [(c, specs[c]) for c in controls]


def evaluate(name: str, posture: tuple[PostureEntry, ...], coverage: Coverage
             ) -> ComplianceReport:
    """The ``--compliance NAME`` report of a result's posture and coverage."""
    framework = FRAMEWORKS[name]
    return ComplianceReport(
        framework,
        tuple(evaluate_control(control, specs, posture, coverage)
              for control, specs in mapped_controls(framework)),
        tuple(sorted(framework.uncovered, key=lambda u: control_key(u.control))),
    )


def compliance_reports(result: ScanResult, names: Iterable[str]
                       ) -> tuple[ComplianceReport, ...]:
    """The reports ``names`` ask for, of a whole result (before any narrowing of the view);
    none for a result without coverage (made without an inventory)."""
    if result.coverage is None:
        return ()
    return tuple(evaluate(name, result.posture, result.coverage)
                 for name in dict.fromkeys(names))


__all__ = ["STATUSES", "ComplianceReport", "ControlResult", "Failure", "Status",
           "TraitCoverage", "compliance_reports", "evaluate", "evaluate_control",
           "mapped_controls", "trait_coverage"]
