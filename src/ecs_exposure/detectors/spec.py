"""The data types of the trait catalog: one :class:`TraitSpec` per trait, with its
:class:`Guidance` and the compliance :class:`Control` entries it maps to.

A trait's knowledge lives on its one spec object in its family module
(``detectors/<family>.py``): stages after the detectors (exposure, remediation, reporters)
read the spec's fields instead of keeping their own tables keyed by id strings, so adding a
trait is one edit and a typo in an id cannot pass silently. This module holds only plain
frozen data, so every stage can import it without importing a detector.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from typing import Literal

Category = Literal["misconfiguration", "reachability", "vulnerability", "impact", "image"]
Framework = Literal["Security Hub CSPM", "AWS Well-Architected", "NIST SP 800-190"]
Need = Literal["iam", "security-groups", "image-contents", "image-metadata",
               "vulnerability-reports", "signature-policy"]
"""An input a detector needs beyond the resource it judges (see :attr:`TraitSpec.needs`)."""
Weight = Literal["low", "medium", "high"]
"""A trait's own severity, listed alone (see :attr:`TraitSpec.weight`)."""


@dataclass(frozen=True)
class Guidance:
    """How to fix one trait.

    Attributes:
        why: One to three sentences on what an attacker gains from the weakness.
        change: One to three sentences on the concrete fix, naming the API fields.
        contain: One or two sentences on how to limit the damage when the risky
            setting is truly needed.
        references: ``https`` URLs to AWS documentation, CIS benchmarks or
            Security Hub controls that back the advice.
    """

    why: str
    change: str
    contain: str
    references: tuple[str, ...]

    def text(self) -> str:
        """Return the guidance as one paragraph: why, change, then containment."""
        return f"{self.why} {self.change} If it is really needed: {self.contain}"


@dataclass(frozen=True)
class Control:
    """One compliance control (or best-practice item) a trait maps to: compliance reports
    (:mod:`ecs_exposure.exposure.compliance`) fail it on every resource carrying the trait."""

    framework: Framework
    id: str
    """The framework's own id, e.g. ``ECS.4`` or ``SEC06-BP02``."""
    title: str
    """The control's exact title; for a Well-Architected best practice, its title and the
    practice item of it that the trait checks."""
    url: str
    """Where the control is documented (anchored to the control where the page allows)."""
    note: str = ""
    """How the traits' check differs from the control's own evaluation, when it does (shown
    beside the control's row in compliance reports)."""
    where: str = ""
    """Only trait instances whose evidence pointer starts with this answer the control (a
    service's ``public-ip`` is ECS.2, a task set's ECS.16); empty: every instance."""


@dataclass(frozen=True)
class TraitSpec:
    """Catalog entry of one trait: everything the tool knows about it, in one place.

    The first six fields are positional (the id is a stable public contract: JSON output,
    suppressions, SARIF rule ids); the rest are keyword-only.
    """

    id: str
    title: str
    """Short title as a finding lists it."""
    category: Category
    contextual: bool
    """Contextual traits are listed in a finding but never create one on their own."""
    fires_when: str
    """One sentence: the exact condition, for generated docs and SARIF rule help."""
    references: tuple[str, ...] = ()
    """Short citations shown with the trait (Security Hub trait titles, CSPM and CIS ids)."""
    _: KW_ONLY
    guidance: Guidance
    """What an attacker gains, what to change and how to contain it when it must stay."""
    controls: tuple[Control, ...] = ()
    """Compliance controls the trait maps to (Security Hub CSPM, Well-Architected)."""
    title_phrase: str | None = None
    """Noun phrase naming the trait in a finding title ("… with a privileged container");
    ``None`` for traits a title never names."""
    revision_action: str | None = None
    """What the new task definition revision does about the trait, completing "Register a new
    revision … that …" in a finding's remediation summary."""
    service_action: str | None = None
    """The service or cluster change that removes the trait, in the remediation summary."""
    ocsf_impact: str | None = None
    """The harm the trait names in OCSF ``finding_info.types``
    (``Exposure/Potential Impact/<this>``)."""
    asff_type: str | None = None
    """A further ASFF finding type namespace the trait puts its finding under."""
    host_access: bool = False
    """The trait gives the container access to its host (devices, files, namespaces): with
    root or a writable root filesystem in the same container it raises impact."""
    needs: tuple[Need, ...] = ()
    """Inputs beyond its own resource the detector needs to judge it (any one suffices):
    without them the trait cannot fire, so its absence proves nothing and a compliance control
    it maps to is *not evaluated* rather than passed. Empty: the resource alone decides (a
    detector that treats missing context as the worst case, like ``root-user`` without the
    image config, needs nothing)."""
    weight: Weight | None = None
    """The trait's own severity when it is listed alone (posture entries, SARIF rules);
    ``None``: ``low`` for a contextual trait, ``medium`` otherwise. An instance graded
    high impact is high whatever this says (:func:`ecs_exposure.exposure.posture.severity_of`)."""
