"""The vulnerability store: reports indexed by image, matched to containers, de-duplicated and
weighed with exploit intelligence.

A report is matched to the image a container runs by manifest digest first (the digest the
container definition pins, or the digests live collection saw running tasks use), then by
repository and tag. A tag match is refused when both sides know digests and they differ: the
tag was moved and the report describes another image. Reports found by tag bring in the
reports that name the same digests (a VEX document often names only the digest). Every join
is a dictionary lookup and results are memoised per image for the scan (by the scan's
:class:`VulnerabilityAssessor`), so matching 200,000 records to 30,000 containers stays linear.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from typing import Any

from ecs_exposure.analysis.allocation import no_cycle_collection
from ecs_exposure.analysis.images.reference import parse_image
from ecs_exposure.analysis.os_eol import end_of_life_reason
from ecs_exposure.analysis.vulnerabilities.cvss import ATTACK_VECTORS, CvssVector, Metrics
from ecs_exposure.analysis.vulnerabilities.records import (
    SEVERITY_RANK,
    ExploitIntel,
    ImageReport,
    KevEntry,
    OsRelease,
    Vulnerability,
)

DEFAULT_EPSS_THRESHOLD = 0.1
FAILED_SCANS = frozenset({"FAILED", "UNSUPPORTED_IMAGE", "SCAN_ELIGIBILITY_EXPIRED",
                          "FINDINGS_UNAVAILABLE", "LIMIT_EXCEEDED", "IMAGE_ARCHIVED",
                          "IN_PROGRESS", "PENDING"})
"""ECR scan statuses that mean there is no usable result for the image."""
ReportsKey = tuple[tuple[int, ...], str | None]


@dataclass(slots=True, unsafe_hash=True)
class AssessedVulnerability:
    """A de-duplicated vulnerability with the exploit signals that decide its weight.

    One per record of every assessed image (200,000 on a large estate): not ``frozen``,
    because a frozen dataclass sets each field through ``object.__setattr__``, which made
    building these a large part of assessing. Never modified after it is built.
    """

    record: Vulnerability
    vector: CvssVector | None
    """The vector used: the vendor's when a report gives one, else NVD's, else any."""
    metrics: Metrics | None
    epss: float | None
    epss_percentile: float | None
    epss_source: str | None
    """``scanner`` or the EPSS file it came from."""
    kev: bool
    kev_date_added: str | None
    kev_source: str | None
    reasons: tuple[str, ...]
    """Why exploitation is likely: KEV, exploit available, EPSS at or above the threshold."""
    exploitable: bool
    """Network attack vector (or unknown, treated as network) and a reason above."""

    @property
    def network(self) -> bool | None:
        """``True`` for ``AV:N``, ``False`` for adjacent/local/physical, ``None`` unknown."""
        return None if self.metrics is None else self.metrics.attack_vector == "N"

    def label(self) -> str:
        """``CVE-… in pkg 1.2 (fixed in 1.3)``."""
        record = self.record
        text = f"{record.id} in {record.package or 'an unnamed package'}"
        if record.installed_version:
            text += f" {record.installed_version}"
        if record.fixed_version:
            text += f" (fixed in {record.fixed_version})"
        elif record.fix_available is False:
            text += " (no fix yet)"
        return text

    def summary(self) -> dict[str, object]:
        """The short form listed in trait evidence and a finding's top vulnerabilities."""
        record = self.record
        return {
            "id": record.id, "package": record.package,
            "installed_version": record.installed_version,
            "fixed_version": record.fixed_version, "severity": record.severity,
            "attack_vector": ATTACK_VECTORS.get(self.metrics.attack_vector)
            if self.metrics else None,
            "epss": self.epss, "kev": self.kev, "exploit_available": record.exploit_available,
            "malicious": record.malicious, "exploitable": self.exploitable,
            "likely_because": list(self.reasons),
            "evidence": [{"scanner": o.scanner, "file": o.source, "pointer": o.pointer}
                         for o in record.origins],
        }

    def as_dict(self) -> dict[str, object]:
        """Every normalised field, for the JSON result's per-container list."""
        record = self.record
        metrics = self.metrics
        full = self.summary()
        full.update({
            "aliases": list(record.aliases), "package_path": record.package_path,
            "fix_available": record.fix_available, "score": record.score,
            "cvss": None if self.vector is None else {
                "vector": self.vector.vector, "source": self.vector.source,
                "version": metrics.version if metrics else None,
                "attack_vector": full["attack_vector"],
                "privileges_required": metrics.privileges_required if metrics else None,
                "user_interaction": metrics.user_interaction if metrics else None},
            "network_exploitable": self.network,
            "epss_percentile": self.epss_percentile, "epss_source": self.epss_source,
            "kev_date_added": self.kev_date_added, "kev_source": self.kev_source,
            "last_known_exploit": record.last_known_exploit,
            "vex": None if record.vex_state is None else {
                "state": record.vex_state, "justification": record.vex_justification},
            "suppressed": record.suppressed,
        })
        return full

    def rank(self) -> tuple[float, ...]:
        """Sort key, most urgent first (:func:`_urgency` without its id and package)."""
        return _urgency(self)[:-2]  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class ImageAssessment:
    """Everything the matched reports say about one image, merged."""

    matched_by: str | None
    """``digest``, ``tag`` or ``None`` (no report: the image is unscanned)."""
    reports: tuple[str, ...]
    os: OsRelease | None
    end_of_life: str | None
    vulnerabilities: tuple[AssessedVulnerability, ...]
    """Counting vulnerabilities, most urgent first."""
    suppressed: tuple[AssessedVulnerability, ...]
    """Matches a VEX statement, ignore rule or scanner status took out, with the reason."""


@dataclass(frozen=True, slots=True)
class ContainerVulnerabilities:
    """The vulnerabilities of the image one container runs."""

    container: str
    image: str
    task_definition: str
    assessment: ImageAssessment


@dataclass(frozen=True, slots=True)
class UnscannedImage:
    """An image in use that no report covers (it feeds ``unscanned-image``)."""

    image: str
    services: tuple[str, ...]
    containers: tuple[str, ...]
    """``service/container`` pairs that run it."""


UNSCANNED = ImageAssessment(None, (), None, None, (), ())


@dataclass
class VulnerabilityStore:
    """Reports and intel, with the indexes that match them to container images.

    Inputs and indexes only: weighing the matches needs the scan's EPSS threshold and date,
    which a per-scan :class:`VulnerabilityAssessor` brings (see :func:`assessor`).
    """

    reports: list[ImageReport] = field(default_factory=list)
    intel: ExploitIntel = field(default_factory=ExploitIntel)
    _by_digest: dict[str, list[ImageReport]] = field(default_factory=lambda: defaultdict(list))
    _by_tag: dict[str, list[ImageReport]] = field(default_factory=lambda: defaultdict(list))

    def add(self, report: ImageReport) -> None:
        """Index a report by each digest and each tagged reference it names."""
        self.reports.append(report)
        if report.status in FAILED_SCANS:
            return
        for digest in report.identity.digests:
            self._by_digest[digest].append(report)
        for ref in report.identity.references:
            if ref.tag or not ref.digest:  # an untagged name means "latest"
                self._by_tag[ref.tag_key].append(report)

    def match(self, image: str, running: Iterable[str] = ()) -> tuple[list[ImageReport],
                                                                       str | None]:
        """Reports about ``image``, and whether they matched by ``digest`` or ``tag``."""
        ref = parse_image(image)
        digests = set(running)
        if ref is not None and ref.digest:
            digests.add(ref.digest)
        found = _unique(r for d in sorted(digests) for r in self._by_digest.get(d, ()))
        if found:
            return found, "digest"
        if ref is None or ref.digest:
            return [], None  # a pinned digest is matched by digest only
        tag = ref.tag or "latest"
        keys = [ref.tag_key] + [f"{key}:{tag}" for key in ref.fallback_repo_keys()]
        candidates = _unique(r for key in keys for r in self._by_tag.get(key, ()))
        found = [r for r in candidates
                 if not (digests and r.identity.digests and not digests & r.identity.digests)]
        if not found:
            return [], None
        # The tag resolved to digests: reports that name only those digests (a separate VEX
        # document, a scan by digest) are about the same image.
        resolved = sorted({d for r in found for d in r.identity.digests})
        found = _unique([*found, *(r for d in resolved for r in self._by_digest.get(d, ()))])
        return found, "tag"


def assessor(store: VulnerabilityStore, epss_threshold: float, today: date,
             memo: MutableMapping[object, Any]) -> VulnerabilityAssessor:
    """The scan's assessor of ``store``: one per scan memo, so the detectors, the exposure
    stage and the result's per-container lists share its memoised assessments."""
    key = ("vulnerabilities.assessor", id(store))
    found = memo.get(key)
    if not isinstance(found, VulnerabilityAssessor) or found.store is not store \
            or (found.epss_threshold, found.today) != (epss_threshold, today):
        found = memo[key] = VulnerabilityAssessor(store, epss_threshold, today)
    return found


class VulnerabilityAssessor:
    """Matched reports merged, de-duplicated and weighed with intel, for one scan.

    Created per scan (:func:`assessor`) once every report and intel file is in the store: its
    memos depend on both and on the scan's EPSS threshold and date, so they live and die with
    the scan rather than on the Inventory.
    """

    def __init__(self, store: VulnerabilityStore, epss_threshold: float, today: date) -> None:
        self.store = store
        self.epss_threshold = epss_threshold
        self.today = today
        """Reference date for end-of-life checks."""
        self._memo: dict[tuple[str, frozenset[str]], ImageAssessment] = {}
        self._by_reports: dict[ReportsKey, ImageAssessment] = {}
        """Assessments by the reports they merge: image names that resolve to the same
        reports (a tag and a digest, two spellings of a registry) share one assessment."""
        self._signals: dict[str, list[Signals]] = {}
        """Memoised :class:`Signals` (see :meth:`weigh`); they depend on intel, not reports."""

    @property
    def intel(self) -> ExploitIntel:
        """The store's exploit intelligence."""
        return self.store.intel

    def assess(self, image: str, running: Iterable[str] = ()) -> ImageAssessment:
        """Merged, de-duplicated and weighed vulnerabilities of one image (memoised)."""
        running = frozenset(running)
        memo_key = (image, running)
        cached = self._memo.get(memo_key)
        if cached is not None:
            return cached
        reports, matched_by = self.store.match(image, running)
        if not reports:
            result = UNSCANNED
        else:
            # Reports are kept in store.reports, so their ids are stable while memoised.
            key = (tuple(id(r) for r in reports), matched_by)
            result = self._by_reports.get(key) or self._assess_new(key, reports, matched_by)
        self._memo[memo_key] = result
        return result

    def _assess_new(self, key: ReportsKey, reports: list[ImageReport],
                    matched_by: str | None) -> ImageAssessment:
        with no_cycle_collection():
            result = self._by_reports[key] = self._assess(reports, matched_by)
        return result

    def _assess(self, reports: list[ImageReport], matched_by: str | None) -> ImageAssessment:
        groups: dict[tuple[str, str], list[Vulnerability]] = {}
        blanket: dict[str, Vulnerability] = {}
        for report in reports:
            for record in report.vulnerabilities:
                if record.suppressed and not record.package:
                    blanket.setdefault(record.id.upper(), record)
                    continue
                key = (record.id.upper(), record.package.lower())  # record.key, inlined
                group = groups.get(key)
                if group is None:
                    groups[key] = [record]
                else:
                    group.append(record)
        counting: list[AssessedVulnerability] = []
        suppressed: list[AssessedVulnerability] = []
        for group in groups.values():
            merged = group[0] if len(group) == 1 else merge(group)
            cover = blanket.get(merged.id.upper()) if blanket else None
            if merged.suppressed is None and cover is not None:
                merged = _suppress(merged, cover)
            assessed = self.weigh(merged)
            (suppressed if merged.suppressed else counting).append(assessed)
        counting.sort(key=_urgency)
        suppressed.sort(key=lambda a: (a.record.id, a.record.package))
        os_release = _os_of(reports)
        eol = end_of_life_reason(os_release.family, os_release.version, os_release.eosl,
                                 self.today) if os_release else None
        return ImageAssessment(matched_by, tuple(dict.fromkeys(r.source for r in reports)),
                               os_release, eol, tuple(counting), tuple(suppressed))

    def _intel_source(self, kind: str) -> str:
        return next((s.source for s in self.intel.sources if s.kind == kind),
                    "EPSS" if kind == "epss" else "CISA KEV")

    def weigh(self, record: Vulnerability) -> AssessedVulnerability:
        """Add intel where the scanners were silent, and decide if exploitation is likely."""
        signals = self._signals_of(record)
        vector, metrics = signals.vector, signals.metrics
        epss, percentile = record.epss, record.epss_percentile
        epss_source: str | None = "scanner"
        if epss is None:
            epss_source = None
            if signals.epss is not None:
                epss, percentile = signals.epss
                epss_source = self._intel_source("epss")
        kev, kev_date, kev_source = record.kev, record.kev_date_added, "scanner"
        entry = signals.kev
        if entry is not None:
            kev_date = kev_date or entry.date_added
            if not kev:
                kev, kev_source = True, self._intel_source("kev")
        reasons = self._reasons(record, kev, kev_date, epss, percentile)
        network_ok = metrics is None or metrics.attack_vector == "N"
        return AssessedVulnerability(
            record, vector, metrics, epss, percentile, epss_source if epss is not None else None,
            kev, kev_date, kev_source if kev else None, reasons, bool(reasons) and network_ok)

    def _signals_of(self, record: Vulnerability) -> Signals:
        """:func:`signals` of the record, memoised per CVE: 200,000 records name a few
        thousand CVEs, and the parsers share one vector tuple between the records of a CVE.

        Entries are found by the CVE id, then matched on the very same vector tuple (hashing
        vectors costs more than the lookup saves) and equal aliases; the memo holds the tuple,
        so its identity cannot be reused by another.
        """
        bucket = self._signals.get(record.id)
        if bucket is None:
            bucket = self._signals[record.id] = []
        for found in bucket:
            if found.cvss is record.cvss and found.aliases == record.aliases:
                return found
        found = signals(record, self.intel)
        bucket.append(found)
        return found

    def _reasons(self, record: Vulnerability, kev: bool, kev_date: str | None,
                 epss: float | None, percentile: float | None) -> tuple[str, ...]:
        if not kev and not record.exploit_available and (
                epss is None or epss < self.epss_threshold):
            return ()
        reasons: list[str] = []
        if kev:
            reasons.append("in CISA KEV" + (f" (added {kev_date})" if kev_date else ""))
        if record.exploit_available:
            reasons.append("public exploit available")
        if epss is not None and epss >= self.epss_threshold:
            reasons.append(f"EPSS {epss:.3f}"
                           + (f" ({percentile * 100:.1f}th percentile)" if percentile else "")
                           + f" ≥ {self.epss_threshold:g}")
        return tuple(reasons)


@dataclass(frozen=True, slots=True)
class Signals:
    """What weighing a record looks up by its ids and vectors, the same for every record of
    the same CVE: the vector to use and the intel entries (EPSS, KEV) of its ids."""

    aliases: tuple[str, ...]
    cvss: tuple[CvssVector, ...]
    """The record's vectors these were chosen from (checked by identity on reuse)."""
    vector: CvssVector | None
    metrics: Metrics | None
    epss: tuple[float, float | None] | None
    """The first of the record's ids with an EPSS score: (probability, percentile)."""
    kev: KevEntry | None
    """The first of the record's ids in the KEV catalog."""


def signals(record: Vulnerability, intel: ExploitIntel) -> Signals:
    """Look up the vector and intel of one record (uncached)."""
    vector = choose_vector(record.cvss)
    ids = (record.id, *record.aliases)
    epss = next((hit for cve in ids if (hit := intel.epss.get(cve.upper())) is not None), None)
    kev = next((e for cve in ids if (e := intel.kev.get(cve.upper()))), None)
    return Signals(record.aliases, record.cvss, vector, vector.metrics if vector else None,
                   epss, kev)


@lru_cache(maxsize=65536)
def choose_vector(vectors: tuple[CvssVector, ...]) -> CvssVector | None:
    """The vendor's vector first (reports list theirs first), then NVD's, then any other."""
    valid = [v for v in vectors if v.metrics is not None]
    vendor = next((v for v in valid if v.source != "nvd"), None)
    return vendor or next(iter(valid), None)


def merge(group: list[Vulnerability]) -> Vulnerability:
    """One record from the reports that name the same CVE in the same package."""
    if len(group) == 1:
        return group[0]
    first = group[0]
    severities = [r.severity for r in group if r.severity != "UNKNOWN"] or [first.severity]
    cvss = tuple(dict.fromkeys(v for r in group for v in r.cvss))
    vendor_first = tuple(v for v in cvss if v.source != "nvd") + tuple(
        v for v in cvss if v.source == "nvd")
    epss = [r.epss for r in group if r.epss is not None]
    fixes = [r.fix_available for r in group if r.fix_available is not None]
    exploits = [r.exploit_available for r in group if r.exploit_available is not None]
    cover = next((r for r in group if r.suppressed), None)
    return Vulnerability(
        id=first.id,
        package=first.package,
        installed_version=_first(r.installed_version for r in group),
        fixed_version=_first(r.fixed_version for r in group),
        fix_available=any(fixes) if fixes else None,
        severity=max(severities, key=lambda s: SEVERITY_RANK.get(s, 0)),
        cvss=vendor_first,
        epss=max(epss) if epss else None,
        kev=any(r.kev for r in group),
        exploit_available=any(exploits) if exploits else None,
        malicious=any(r.malicious for r in group),
        vex_state=cover.vex_state if cover else _first(r.vex_state for r in group),
        suppressed=cover.suppressed if cover else None,
        origins=tuple(o for r in group for o in r.origins),
        image=first.image,
        aliases=tuple(dict.fromkeys(a for r in group for a in r.aliases)),
        package_path=_first(r.package_path for r in group),
        score=max((r.score for r in group if r.score is not None), default=None),
        epss_percentile=next((r.epss_percentile for r in group
                              if r.epss_percentile is not None), None),
        kev_date_added=_first(r.kev_date_added for r in group),
        last_known_exploit=_first(r.last_known_exploit for r in group),
        vex_justification=cover.vex_justification if cover else None,
    )


def _suppress(record: Vulnerability, cover: Vulnerability) -> Vulnerability:
    """Apply a VEX statement that names the CVE but no resolvable package."""
    return replace(record, suppressed=cover.suppressed, vex_state=cover.vex_state,
                   vex_justification=cover.vex_justification,
                   origins=record.origins + cover.origins)


def _urgency(assessed: AssessedVulnerability) -> tuple[object, ...]:
    """The order of an image's list, most urgent first, then by id and package; its head is
    :meth:`AssessedVulnerability.rank`, so the two cannot drift apart (a finding's top
    vulnerabilities are taken from the head of each ranked list)."""
    record = assessed.record
    return (-assessed.exploitable, -record.malicious, -assessed.kev,
            -(record.exploit_available is True), -SEVERITY_RANK.get(record.severity, 0),
            -(assessed.epss or 0.0), -(record.score or 0.0), record.id, record.package)


def _first(values: Iterable[str | None]) -> str | None:
    return next((v for v in values if v), None)


def _unique(reports: Iterable[ImageReport]) -> list[ImageReport]:
    seen: dict[int, ImageReport] = {}
    for report in reports:
        seen.setdefault(id(report), report)
    return list(seen.values())


def _os_of(reports: list[ImageReport]) -> OsRelease | None:
    known = [r.os for r in reports if r.os is not None]
    if not known:
        return None
    flagged = next((o for o in known if o.eosl), None)
    return flagged or known[0]
