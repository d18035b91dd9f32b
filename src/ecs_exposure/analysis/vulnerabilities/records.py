"""What scanner reports and exploit intelligence say, in one shape whatever the scanner.

Amazon Inspector, ECR image scanning, Trivy, Grype and CycloneDX each spell a vulnerability
differently; the parsers in ``sources/vulns/`` turn every one into a :class:`Vulnerability`
so that matching, de-duplication and the exposure never care which scanner spoke. Records are
small slotted dataclasses: an estate can bring 200,000 of them.

:class:`Vulnerability` and :class:`Origin`, built once per record, are not ``frozen``: a frozen
dataclass sets each field through ``object.__setattr__``, which made building a 22-field record
six times slower (half the cost of parsing a report). They are still treated as immutable:
nothing assigns to a record after parsing (derive a new one with ``dataclasses.replace``), and
they keep the value equality and hash a frozen dataclass has.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ecs_exposure.analysis.images.reference import ImageRef
from ecs_exposure.analysis.vulnerabilities.cvss import CvssVector

SEVERITIES = ("UNKNOWN", "INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL")
"""Normalised severities, lowest first (``UNTRIAGED``/``UNDEFINED`` become ``UNKNOWN``)."""
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}


@dataclass(slots=True, unsafe_hash=True)
class Origin:
    """Where one record was read: evidence a user can open."""

    scanner: str
    """``Amazon Inspector``, ``Amazon ECR``, ``Trivy``, ``Grype`` or ``CycloneDX``."""
    source: str
    """Input file."""
    pointer: str
    """RFC 6901 pointer of the record inside the file."""


@dataclass(frozen=True, slots=True)
class OsRelease:
    """The image's operating system as the scanner identified it."""

    family: str
    """Lower-case distribution id (``debian``, ``alpine``, ``amazon``…)."""
    version: str
    eosl: bool | None = None
    """The scanner's own end-of-life verdict (Trivy ``EOSL``), when it gives one."""


@dataclass(frozen=True, slots=True)
class ImageIdentity:
    """How a report names the image it scanned: manifest digests and repository references."""

    digests: frozenset[str]
    """Manifest digests (never config digests such as Trivy ``ImageID``)."""
    references: tuple[ImageRef, ...]
    """Repository references, tagged where the report gives tags."""
    label: str
    """Human-readable name for messages."""


@dataclass(slots=True, unsafe_hash=True)
class Vulnerability:
    """One vulnerability in one package of one image, as reports state it."""

    id: str
    """CVE id when one is known (upper-case), else the advisory id (GHSA, ALAS, MAL…)."""
    package: str
    installed_version: str | None
    fixed_version: str | None
    fix_available: bool | None
    """``None`` when the report does not say."""
    severity: str
    """One of :data:`SEVERITIES`."""
    cvss: tuple[CvssVector, ...]
    """Vectors with their scoring source, the scanner's preferred (vendor) one first."""
    epss: float | None
    """EPSS probability the scanner reported (0..1)."""
    kev: bool
    """The scanner says the CVE is in CISA KEV."""
    exploit_available: bool | None
    malicious: bool
    """The package is known malicious (OSV ``MAL-`` id, CWE-506 or a scanner flag)."""
    vex_state: str | None
    """VEX or analysis state (``not_affected``, ``false_positive``…) when a report gives one."""
    suppressed: str | None
    """Why the match does not count (VEX, ignore rule, scanner status); ``None`` if it counts."""
    origins: tuple[Origin, ...]
    image: ImageIdentity | None = None
    aliases: tuple[str, ...] = ()
    package_path: str | None = None
    score: float | None = None
    """Base score the scanner reported with its chosen vector."""
    epss_percentile: float | None = None
    kev_date_added: str | None = None
    last_known_exploit: str | None = None
    vex_justification: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        """De-duplication key: the same CVE in the same package is one vulnerability."""
        return self.id.upper(), self.package.lower()


@dataclass(slots=True)
class ImageReport:
    """Everything one report says about one image."""

    scanner: str
    source: str
    identity: ImageIdentity
    vulnerabilities: list[Vulnerability] = field(default_factory=list)
    os: OsRelease | None = None
    status: str | None = None
    """Scan status when the report gives one; failed scans do not count as scanned."""


@dataclass(frozen=True, slots=True)
class KevEntry:
    """One CISA KEV catalog entry."""

    cve: str
    date_added: str | None
    due_date: str | None = None
    ransomware: bool | None = None
    """``knownRansomwareCampaignUse == "Known"``."""


@dataclass(frozen=True, slots=True)
class IntelSource:
    """Provenance of one exploit-intelligence file, shown with the result."""

    kind: str
    """``epss`` or ``kev``."""
    source: str
    version: str | None
    """EPSS model version or KEV catalog version."""
    date: str | None
    """EPSS score date or KEV release date."""
    count: int


@dataclass
class ExploitIntel:
    """EPSS scores and the KEV catalog from input files or the local cache."""

    epss: dict[str, tuple[float, float | None]] = field(default_factory=dict)
    """CVE → (probability, percentile)."""
    kev: dict[str, KevEntry] = field(default_factory=dict)
    sources: list[IntelSource] = field(default_factory=list)

    def has(self, kind: str) -> bool:
        """Whether a file of this kind was loaded (input files win over the cache)."""
        return any(s.kind == kind for s in self.sources)


def canonical_id(primary: str,
                 aliases: tuple[str, ...] | list[str] = ()) -> tuple[str, tuple[str, ...]]:
    """The CVE id when the primary id is an advisory (GHSA, ALAS…) that names one.

    Reports disagree on which id leads (Grype leads with GHSA, Trivy with the CVE); joining on
    the CVE lets the same flaw reported twice be counted once.
    """
    primary = primary.strip()
    if primary.upper().startswith("CVE-"):
        others = tuple(a for a in dict.fromkeys(aliases) if a.upper() != primary.upper())
        return primary.upper(), others
    cve = next((a for a in aliases if a.upper().startswith("CVE-")), None)
    if cve is None:
        return primary, tuple(a for a in dict.fromkeys(aliases) if a != primary)
    rest = [primary] + [a for a in aliases if a.upper() != cve.upper()]
    return cve.upper(), tuple(dict.fromkeys(rest))
