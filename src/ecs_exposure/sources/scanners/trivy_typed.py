"""Trivy reports decoded straight into typed structures (msgspec), without a dict per record.

A Trivy report is most of an estate's input bytes, and building a dict for every member of
every record and then reading it back field by field was most of the cost of reading it. Here
the bytes are decoded into :class:`msgspec.Struct` types that hold only the members
:mod:`.trivy` reads, and each record is built from them by the same helpers (``text``,
``shared``, ``severity``, ``fixed``…), so the records, their evidence pointers and every
value are the same as the dict path's.

This is a fast path, never a second parser with its own errors: a report it is not sure of
(a member of an unexpected type, ``ExperimentalModifiedFindings``, a SchemaVersion other than
2, a document that another reader placed earlier in ``READERS`` could also claim, a CVSS
block the dict path would refuse) is left to the dict path (``None``), which reads it or
names the problem exactly as before. Measured in ``BENCHMARKS.md``.
"""

from __future__ import annotations

from typing import Any

import msgspec
import orjson

from ecs_exposure.analysis.vulnerabilities.cvss import CvssVector
from ecs_exposure.analysis.vulnerabilities.records import (
    ImageIdentity,
    ImageReport,
    Origin,
    OsRelease,
    Vulnerability,
)
from ecs_exposure.inventory import Inventory
from ecs_exposure.sources.context import ReadContext
from ecs_exposure.sources.jsonfile import check_depth
from ecs_exposure.sources.scanners import trivy
from ecs_exposure.sources.scanners.common import (
    Mistyped,
    fixed,
    image_identity,
    malicious_cwe,
    severity,
    shared,
    shared_ids,
    text,
)

_ABSENT = msgspec.Raw(b"")
_NO_CVSS = msgspec.Raw(b"null")
_SNIFF = 4096
"""Bytes at the head of a file searched for ``"SchemaVersion"`` (Trivy writes it first)."""


class _Record(msgspec.Struct):
    """The members of one ``Vulnerabilities`` item that :func:`.trivy._record` reads."""

    VulnerabilityID: str | None = None
    PkgName: str | None = None
    PkgID: str | None = None
    PkgPath: str | None = None
    InstalledVersion: str | None = None
    FixedVersion: str | None = None
    Status: str | None = None
    Severity: str | int | None = None
    SeveritySource: str | None = None
    VendorSeverity: dict[str, Any] | None = None
    VendorIDs: list[Any] | None = None
    CweIDs: list[Any] | None = None
    CVSS: msgspec.Raw = _NO_CVSS


class _Result(msgspec.Struct):
    Vulnerabilities: list[_Record] | None = None
    ExperimentalModifiedFindings: msgspec.Raw = _ABSENT


class _Os(msgspec.Struct):
    Family: str | None = None
    Name: str | None = None
    EOSL: Any = None


class _Metadata(msgspec.Struct):
    OS: _Os | None = None
    RepoDigests: list[str] | None = None
    RepoTags: list[str] | None = None
    Reference: str | None = None


class _Report(msgspec.Struct):
    """A report's members, and those of the formats read before Trivy (whose presence sends
    the file to the dict path, so the order of ``READERS`` still decides)."""

    SchemaVersion: Any = None
    ArtifactName: str | None = None
    ArtifactType: str | None = None
    Metadata: _Metadata | None = None
    Results: list[_Result] | None = None
    bomFormat: msgspec.Raw = _ABSENT
    vulnerabilities: msgspec.Raw = _ABSENT
    findings: msgspec.Raw = _ABSENT
    findingArn: msgspec.Raw = _ABSENT
    packageVulnerabilityDetails: msgspec.Raw = _ABSENT
    inspectorScore: msgspec.Raw = _ABSENT
    imageScanFindings: msgspec.Raw = _ABSENT
    matches: msgspec.Raw = _ABSENT
    detail: msgspec.Raw = _ABSENT


_DECODER = msgspec.json.Decoder(_Report)
_COMPETITORS = ("bomFormat", "vulnerabilities", "findings", "findingArn",
                "packageVulnerabilityDetails", "inspectorScore", "imageScanFindings",
                "matches", "detail")


class _Unsure(Exception):
    """The dict path must read this report."""


def read_typed(inventory: Inventory, data: bytes, source: str, context: ReadContext) -> bool:
    """Typed reader: a Trivy image report the fast path is sure of, added to ``inventory``;
    ``False`` leaves the file to the dict path (nothing has been added then)."""
    if b'"SchemaVersion"' not in data[:_SNIFF]:
        return False
    check_depth(data)           # the dict path's guard, before anything is decoded
    try:
        report = _parse(_DECODER.decode(data), source)
    except (msgspec.DecodeError, _Unsure):
        return False
    inventory.add_image_report(report)
    return True


def _parse(doc: _Report, source: str) -> ImageReport:
    if doc.SchemaVersion != 2 or type(doc.SchemaVersion) is not int \
            or any(getattr(doc, key) is not _ABSENT for key in _COMPETITORS) \
            or (doc.Results is None and doc.ArtifactName is None) \
            or str(doc.ArtifactType or "container_image").lower() in trivy.NOT_IMAGES:
        raise _Unsure
    meta = doc.Metadata or _Metadata()
    identity = image_identity(meta.RepoDigests or (),
                              [*(meta.RepoTags or ()), doc.ArtifactName, meta.Reference],
                              doc.ArtifactName)
    if not identity.references and not identity.digests:
        raise _Unsure
    os_data = meta.OS or _Os()
    family, name = text(os_data.Family), text(os_data.Name)
    eosl = os_data.EOSL if isinstance(os_data.EOSL, bool) else None
    report = ImageReport(trivy.SCANNER, source, identity,
                         os=OsRelease(family.lower(), name, eosl) if family and name else None)
    append = report.vulnerabilities.append
    for r_index, result in enumerate(doc.Results or ()):
        if result.ExperimentalModifiedFindings is not _ABSENT:
            raise _Unsure
        base = f"/Results/{r_index}/Vulnerabilities/"
        for v_index, item in enumerate(result.Vulnerabilities or ()):
            append(_record(item, f"{base}{v_index}", source, identity))
    return report


def _record(item: _Record, pointer: str, source: str, image: ImageIdentity) -> Vulnerability:
    """:func:`.trivy._record` of a typed item (no ``ExperimentalModifiedFindings`` here)."""
    vuln_id, aliases, malicious = shared_ids(
        text(item.VulnerabilityID) or "UNKNOWN",
        tuple(v for v in item.VendorIDs or () if isinstance(v, str)))
    status = (text(item.Status) or "").lower()
    fixed_in = fixed(item.FixedVersion)
    suppressed = vex_state = None
    if status == "not_affected":
        suppressed, vex_state = "Trivy reports the package as not affected", "not_affected"
    cvss = _vectors(item.CVSS, item.SeveritySource)
    level = severity(item.Severity)
    if level == "UNKNOWN":
        level = severity((item.VendorSeverity or {}).get(text(item.SeveritySource) or "", None))
    return Vulnerability(
        id=vuln_id, package=shared(item.PkgName) or shared(item.PkgID) or "",
        aliases=aliases, installed_version=shared(item.InstalledVersion),
        fixed_version=fixed_in, fix_available=trivy._fix_available(fixed_in, status),
        severity=level, cvss=cvss, epss=None, kev=False, exploit_available=None,
        malicious=malicious or malicious_cwe(item.CweIDs), vex_state=vex_state,
        suppressed=suppressed, origins=(Origin(trivy.SCANNER, source, pointer),), image=image,
        package_path=shared(item.PkgPath), score=cvss[0].score if cvss else None,
    )


_VECTORS: dict[tuple[bytes, str | None], tuple[CvssVector, ...]] = {}
_VECTORS_LIMIT = 65536


def _vectors(raw: msgspec.Raw, severity_source: str | None) -> tuple[CvssVector, ...]:
    """The record's vectors, memoised by the bytes of its ``CVSS`` block (a few dozen
    distinct blocks among 200,000 records) and its ``SeveritySource``."""
    key = (bytes(raw), severity_source)
    found = _VECTORS.get(key)
    if found is None:
        try:
            found = trivy._read_vectors(orjson.loads(key[0]), severity_source)
        except Mistyped:
            raise _Unsure from None
        if len(_VECTORS) < _VECTORS_LIMIT:
            _VECTORS[key] = found
    return found
