"""Result objects shared by detectors, the exposure stage and the reporters.

They are small frozen dataclasses so a detector cannot change what another produced, and
so reporters render exactly one immutable result.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import IntEnum
from typing import Any

from ecs_exposure.analysis.vulnerabilities.records import IntelSource
from ecs_exposure.analysis.vulnerabilities.store import ContainerVulnerabilities, UnscannedImage

Json = dict[str, Any]
"""An AWS API-shaped object, exactly as boto3 or the AWS CLI returns it."""


class Level(IntEnum):
    """Ordered low → high so that ``max()`` picks the worst; shared by likelihood and impact."""

    LOW = 0
    MEDIUM = 1
    HIGH = 2
    VERY_HIGH = 3


LIKELIHOOD_NAMES = {Level.LOW: "low", Level.MEDIUM: "moderate", Level.HIGH: "high",
                    Level.VERY_HIGH: "very high"}
IMPACT_NAMES = {Level.LOW: "low", Level.MEDIUM: "medium", Level.HIGH: "high"}


class Severity(IntEnum):
    """Finding severity, ordered so comparisons implement ``--fail-on``."""

    INFORMATIONAL = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, text: str) -> Severity:
        """Accept any case, as users type ``--fail-on high``."""
        return cls[text.strip().upper()]


@dataclass(frozen=True, slots=True)
class Trait:
    """One weakness on one resource, as a detector found it.

    The evidence pointer is an RFC 6901 JSON pointer into ``resource``'s API shape, so a
    user (or the SARIF reporter) can find the exact field. Slotted: a 50,000-service scan
    holds about a million of them (a per-instance ``__dict__`` is ~40% of each).
    """

    id: str
    """Stable trait id from the catalog (``TRAITS.md``)."""
    resource: str
    """ARN (or name, when there is no ARN) of the resource that carries the weakness."""
    pointer: str
    """RFC 6901 JSON pointer to the offending field inside ``resource``."""
    detail: str
    """Plain-language evidence; never contains a secret value."""
    container: str | None = None
    """Container name, for traits that live in one container definition."""
    impact: Level = Level.LOW
    """What this instance contributes to the finding's impact (graded per instance)."""
    source: str | None = None
    """Input file the resource was read from, when it came from a file."""
    file_pointer: str | None = None
    """JSON pointer of the evidence inside ``source`` (differs from ``pointer`` when the
    resource sits inside a larger document, e.g. ``/services/3/enableExecuteCommand``)."""
    path: tuple[str, ...] = ()
    """Attack-path steps this trait contributes (reachability traits only)."""
    potential: bool = False
    """True when the trait was inferred with missing inputs (e.g. "potentially reachable")."""
    missing: tuple[str, ...] = ()
    """Inputs whose absence made the trait only potential."""
    extra: tuple[tuple[str, Any], ...] = field(default=())
    """Additional structured evidence (e.g. ports, policy ARN) as ordered pairs."""


def evidence_pairs(traits: Iterable[Trait]) -> set[tuple[str, str]]:
    """``(input file, JSON pointer)`` of every trait whose evidence came from a file."""
    return {(t.source, t.file_pointer) for t in traits
            if t.source and t.file_pointer is not None}


@dataclass(frozen=True)
class Suppression:
    """An accepted risk from the config file (``suppressions:`` of ``.ecs-exposure.yaml``).

    It matches a trait of a finding (or a posture entry) when every selector it sets matches;
    selectors it leaves out match anything (the config schema requires at least one).
    """

    reason: str
    """Why the risk is accepted (required: a mute nobody can explain is a risk of its own)."""
    pointer: str = ""
    """Where it is in the config file, as a JSON pointer (``/suppressions/3``)."""
    source: str | None = None
    """The config file."""
    line: int | None = None
    """Line of the entry in the config file."""
    owner: str | None = None
    expires: date | None = None
    """Last day it applies; afterwards it suppresses nothing and is reported as an error."""
    id: str | None = None
    """Finding id (exact)."""
    resource: str | None = None
    """Glob on the finding's resource ARN or on the ARN or id of the resource carrying the
    trait (a security group, a role, a task definition)."""
    traits: tuple[str, ...] = ()
    """Trait ids; empty: every trait."""
    account: str | None = None
    """Glob on the finding's AWS account."""
    region: str | None = None
    """Glob on the finding's AWS region."""
    cluster: str | None = None
    """Glob on the finding's cluster name."""
    image: str | None = None
    """Glob on the image a trait is about (as written, or ``registry/repository``)."""

    def describe(self) -> str:
        """How a user finds the entry: ``suppression /suppressions/3 (.ecs-exposure.yaml:14)``."""
        where = f"{self.source}:{self.line}" if self.source and self.line else self.source
        return f"suppression {self.pointer or '#'}" + (f" ({where})" if where else "")


BASELINE_STATES = ("new", "unchanged", "worse", "better")
"""How a finding compares with the same finding in ``--baseline`` (by severity)."""


@dataclass(frozen=True)
class Finding:
    """One exposure: everything wrong with one ECS service (or an unattached task definition)."""

    id: str
    resource_type: str
    arn: str
    name: str
    cluster: str | None
    account: str | None
    region: str | None
    severity: Severity
    likelihood: Level
    impact: Level
    why: str
    title: str
    traits: tuple[Trait, ...]
    attack_path: tuple[str, ...]
    remediation_summary: str
    reachability: str
    """``internet``, ``potential``, ``internal`` or ``unknown``."""
    missing: tuple[str, ...] = ()
    task_definitions: tuple[str, ...] = ()
    vulnerabilities: tuple[ContainerVulnerabilities, ...] = ()
    """Per container: the matched reports and every de-duplicated vulnerability."""
    incomplete: tuple[str, ...] = ()
    """What could not be read about this service (live collection): the finding may understate
    the exposure, and ``--strict`` fails on it."""
    suppressed_by: tuple[Suppression, ...] = ()
    """The rules that suppress the whole finding (see :mod:`ecs_exposure.exposure.suppressions`);
    empty: the finding is open and counts for ``--fail-on``."""
    trait_suppressions: tuple[Suppression | None, ...] = ()
    """Per trait, in :attr:`traits` order, the rule that suppresses it; empty: none is."""
    baseline: str | None = None
    """One of :data:`BASELINE_STATES` when compared with ``--baseline``; else ``None``."""
    previous: PreviousFinding | None = None
    """The same finding in the baseline, when it was there."""

    @property
    def status(self) -> str:
        """``suppressed`` (an accepted risk) or ``open``."""
        return "suppressed" if self.suppressed_by else "open"

    def trait_suppression(self, index: int) -> Suppression | None:
        """The rule suppressing ``traits[index]``, if any."""
        return self.trait_suppressions[index] if self.trait_suppressions else None


@dataclass(frozen=True)
class SourceError:
    """A problem with one input; the scan goes on without it."""

    source: str
    message: str
    account: str | None = None
    """AWS account of a live-collection error (``None`` for input files)."""
    region: str | None = None
    """AWS region of a live-collection error (``None`` for global services and files)."""
    operation: str | None = None
    """IAM action of the failed call, e.g. ``ecs:DescribeServices``."""


@dataclass(frozen=True)
class Incomplete:
    """A resource, or a whole scope (an account, a cluster), whose data could not all be read.

    Fail closed: such a resource is reported as incomplete, never as clean, even when no trait
    was found in what could be read.
    """

    resource: str
    """ARN of the service or scope (``arn:aws:ecs:REGION:ACCOUNT:cluster/*`` for a region)."""
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class SuppressionUse:
    """One suppression rule after a scan: whether it applied, and to how much."""

    rule: Suppression
    state: str
    """``used``, ``unused`` (matched nothing: stale, or a typo) or ``expired``."""
    findings: int = 0
    """Findings it suppresses (alone or with other rules)."""
    traits: int = 0
    """Trait instances it suppresses, in findings and posture entries."""


@dataclass(frozen=True)
class PreviousFinding:
    """A finding of the baseline result, as much of it as the comparison reports."""

    id: str
    severity: Severity
    resource_type: str
    arn: str
    name: str
    title: str
    account: str | None = None
    region: str | None = None
    traits: tuple[str, ...] = ()
    """Trait ids it had."""


@dataclass(frozen=True)
class PreviousResult:
    """The findings of a baseline result (``--baseline PREVIOUS.json``), by id."""

    source: str
    """The baseline file."""
    generated_at: str | None
    findings: Mapping[str, PreviousFinding]


@dataclass(frozen=True)
class BaselineComparison:
    """What changed since the baseline result (``--baseline PREVIOUS.json``)."""

    source: str
    """The baseline file."""
    generated_at: str | None
    """When the baseline result was made."""
    resolved: tuple[PreviousFinding, ...] = ()
    """Baseline findings gone from this scan, whose scope this scan read completely."""
    unverified: tuple[PreviousFinding, ...] = ()
    """Baseline findings gone from this scan whose scope (service, cluster, account or region)
    could not all be read: not counted as resolved."""


@dataclass(frozen=True)
class PostureEntry:
    """Every weakness of one resource, whether or not it is part of an exposure finding.

    Findings are the correlated exposures; posture is the full list: one entry per service,
    task definition (run by a service or not) and cluster that carries any trait, contextual
    ones included. The traits are the scan's own objects, shared with the findings (a task
    definition's traits are listed once, on its entry, not again on each service running it),
    so the posture costs references, not copies.
    """

    id: str
    """Stable identity: the same hash of account, region and ARN as a finding's id (a service's
    posture entry and its finding share it)."""
    resource_type: str
    """``AwsEcsService``, ``AwsEcsTaskDefinition`` or ``AwsEcsCluster``."""
    arn: str
    """ARN, or the key the resource was read under when it has none (IaC: ``family:1``)."""
    name: str
    cluster: str | None
    account: str | None
    region: str | None
    traits: tuple[Trait, ...]
    """Its weaknesses; each trait's ``resource`` names what carries it (an IAM role, a security
    group or an ECR repository the entry uses), as in findings."""
    task_definitions: tuple[str, ...] = ()
    """A service's revisions: their weaknesses are on their own entries."""
    finding: str | None = None
    """Id of the exposure finding about this very resource, when there is one."""
    trait_suppressions: tuple[Suppression | None, ...] = ()
    """Per trait, in :attr:`traits` order, the config rule that suppresses it; empty: none
    is."""

    @property
    def status(self) -> str:
        """``suppressed`` when every trait is, else ``open``."""
        return ("suppressed" if self.trait_suppressions and all(self.trait_suppressions)
                else "open")

    def trait_suppression(self, index: int) -> Suppression | None:
        """The rule suppressing ``traits[index]``, if any."""
        return self.trait_suppressions[index] if self.trait_suppressions else None


@dataclass(frozen=True)
class ImageCoverage:
    """What the inputs told about one image reference a container runs."""

    image: str
    contents: bool
    """Its file tree was inspected (packages, setuid files, OS release)."""
    metadata: bool
    """Its build or push date is known (image config ``created``, ECR ``imagePushedAt``)."""
    reports: bool
    """A vulnerability report covers it."""


@dataclass(frozen=True)
class Coverage:
    """What the scan's inputs let it judge: compliance reports tell a control that passed
    from one that could not be evaluated with these (unknown is never a pass)."""

    task_definitions: int
    services: int
    clusters: int
    roles: tuple[int, int]
    """IAM roles the task definitions name: ``(found in the inputs, named)``."""
    security_groups: tuple[int, int]
    """Security groups the services name: ``(found in the inputs, named)``."""
    signature_policy: bool
    """The image policy requires verified signatures, so a missing one is reported."""
    images: tuple[ImageCoverage, ...] = ()
    """Each distinct image reference the task definitions run."""


@dataclass(frozen=True)
class ScanResult:
    """Everything a scan found, as data only: no callable, cache or process handle.

    What a reporter may look up beside it on demand (a finding's fixed task definition, the
    line and column of each piece of evidence) comes from a
    :class:`ecs_exposure.reporters.context.ReportContext` the caller hands the reporters.
    """

    findings: tuple[Finding, ...]
    task_definition_findings: tuple[Finding, ...]
    services: int
    task_definitions: int
    errors: tuple[SourceError, ...]
    skipped: tuple[SourceError, ...]
    inputs: tuple[str, ...]
    generated_at: str
    unscanned_images: tuple[UnscannedImage, ...] = ()
    """Images services run that no vulnerability report covers."""
    intel: tuple[IntelSource, ...] = ()
    """EPSS and KEV files used, with their dates."""
    vulnerability_reports: int = 0
    """Image reports read (one file may hold several images)."""
    incomplete: tuple[Incomplete, ...] = ()
    """Resources and scopes whose data could not all be read (see :class:`Incomplete`)."""
    suppressions: tuple[SuppressionUse, ...] = ()
    """Every suppression of the config file and what it matched (unused and expired ones
    included: a stale mute is a risk too)."""
    baseline: BaselineComparison | None = None
    """The comparison with ``--baseline``; ``None`` without one."""
    posture: tuple[PostureEntry, ...] = ()
    """Every resource with any trait, and all its traits (see :class:`PostureEntry`)."""
    coverage: Coverage | None = None
    """What the inputs let the scan judge (compliance reports); ``None`` for a result made
    without an inventory."""
