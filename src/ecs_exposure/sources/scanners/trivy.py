"""Trivy JSON reports of container images (``trivy image -f json``, SchemaVersion 2).

The image is identified by ``Metadata.RepoDigests`` (manifest digests; ``ImageID`` is the
config digest and never a join key), ``Metadata.RepoTags`` and ``ArtifactName``. Trivy gives
no EPSS or KEV, so intel files fill those in; it does give the OS and its end-of-life verdict
(``Metadata.OS.EOSL``). A vulnerability whose status is ``not_affected``, and everything in
``ExperimentalModifiedFindings`` (what VEX or ignore files removed), is kept as suppressed.
The vendor vector is the one from ``SeveritySource`` (a distribution or GHSA), then NVD's.

Example (abridged)::

    {"SchemaVersion": 2, "ArtifactName": "111122223333.dkr.ecr.us-east-1.amazonaws.com/web:1.4.2",
     "ArtifactType": "container_image",
     "Metadata": {"OS": {"Family": "alpine", "Name": "3.10.2", "EOSL": true},
                  "RepoDigests": ["…/web@sha256:…"], "RepoTags": ["…/web:1.4.2"]},
     "Results": [{"Target": "… (alpine 3.10.2)", "Class": "os-pkgs", "Vulnerabilities": [
       {"VulnerabilityID": "CVE-2019-1549", "PkgName": "libcrypto1.1",
        "InstalledVersion": "1.1.1c-r0", "FixedVersion": "1.1.1d-r0", "Status": "fixed",
        "Severity": "MEDIUM", "CVSS": {"nvd": {"V3Vector": "CVSS:3.1/AV:N/…"}}}]}]}
"""

from __future__ import annotations

from typing import Any

from ecs_exposure.analysis.vulnerabilities.cvss import CvssVector
from ecs_exposure.analysis.vulnerabilities.cvss import vector as shared_vector
from ecs_exposure.analysis.vulnerabilities.records import (
    ImageIdentity,
    ImageReport,
    Origin,
    OsRelease,
    Vulnerability,
)
from ecs_exposure.sources.jsonfile import InputError
from ecs_exposure.sources.scanners.common import (
    JsonMemo,
    Mistyped,
    array,
    as_object,
    fixed,
    image_identity,
    malicious_cwe,
    member,
    number,
    objects,
    report_reader,
    severity,
    shared,
    shared_ids,
    strings,
    strings_at,
    text,
)

SCANNER = "Trivy"
WHAT = "Trivy report"
NOT_IMAGES = frozenset({"filesystem", "repository", "vm"})
_NO_FIX_STATUS = frozenset({"affected", "will_not_fix", "fix_deferred", "end_of_life"})


def detect(doc: Any) -> bool:
    """SchemaVersion + Results/ArtifactName, for a container image (not a filesystem scan)."""
    if not isinstance(doc, dict) or "SchemaVersion" not in doc:
        return False
    if "Results" not in doc and "ArtifactName" not in doc:
        return False
    return str(doc.get("ArtifactType") or "container_image").lower() not in NOT_IMAGES


def identity_of(doc: dict[str, Any]) -> ImageIdentity:
    """Digests from RepoDigests, references from RepoTags and ArtifactName."""
    meta = member(doc, "Metadata", WHAT, "")
    return image_identity(
        strings_at(meta, "RepoDigests", WHAT, "/Metadata"),
        [*strings_at(meta, "RepoTags", WHAT, "/Metadata"), doc.get("ArtifactName"),
         meta.get("Reference")],
        doc.get("ArtifactName"))


def _vectors(item: dict[str, Any], pointer: str) -> tuple[CvssVector, ...]:
    """The record's vectors, memoised by its ``CVSS`` block and ``SeveritySource``."""
    try:
        return _VECTORS(item.get("CVSS"), item.get("SeveritySource"))
    except Mistyped as exc:
        raise exc.under(pointer) from None


def _read_vectors(cvss: Any, severity_source: Any) -> tuple[CvssVector, ...]:
    by_source = as_object(cvss, WHAT, "/CVSS")
    preferred = (text(severity_source) or "").lower()
    order = sorted(by_source, key=lambda s: (s.lower() == "nvd", s.lower() != preferred, s))
    found: list[CvssVector] = []
    for source in order:
        data = member(by_source, source, WHAT, "/CVSS")
        for version in ("V40", "V3", "V2"):
            vector = text(data.get(f"{version}Vector"))
            if vector:
                score = number(data.get(f"{version}Score"))
                found.append(shared_vector(vector, source.lower(), score))
    return tuple(found)


_VECTORS = JsonMemo(_read_vectors)


def _fix_available(fixed_in: str | None, status: str) -> bool | None:
    if fixed_in or status == "fixed":
        return True
    return False if status in _NO_FIX_STATUS else None


def _severity(item: dict[str, Any], pointer: str) -> str:
    """``Severity``, else the vendor severity of the ``SeveritySource``."""
    level = severity(item.get("Severity"))
    if level == "UNKNOWN":
        vendor = member(item, "VendorSeverity", WHAT, pointer)
        level = severity(vendor.get(text(item.get("SeveritySource")) or "", None))
    return level


def _record(item: dict[str, Any], pointer: str, source: str, image: ImageIdentity,
            suppressed: str | None = None, vex_state: str | None = None) -> Vulnerability:
    get = item.get
    vuln_id, aliases, malicious = shared_ids(text(get("VulnerabilityID")) or "UNKNOWN",
                                             strings(get("VendorIDs")))
    status = (text(get("Status")) or "").lower()
    fixed_in = fixed(get("FixedVersion"))
    if status == "not_affected" and suppressed is None:
        suppressed, vex_state = "Trivy reports the package as not affected", "not_affected"
    cvss = _vectors(item, pointer)
    return Vulnerability(
        id=vuln_id, package=shared(get("PkgName")) or shared(get("PkgID")) or "",
        aliases=aliases, installed_version=shared(get("InstalledVersion")),
        fixed_version=fixed_in, fix_available=_fix_available(fixed_in, status),
        severity=_severity(item, pointer), cvss=cvss, epss=None, kev=False, exploit_available=None,
        malicious=malicious or malicious_cwe(get("CweIDs")), vex_state=vex_state,
        suppressed=suppressed, origins=(Origin(SCANNER, source, pointer),), image=image,
        package_path=shared(get("PkgPath")), score=cvss[0].score if cvss else None,
    )


def parse(doc: dict[str, Any], source: str) -> list[ImageReport]:
    """One report for the scanned image."""
    version = doc.get("SchemaVersion")
    if version != 2:
        raise InputError(f"{WHAT}: SchemaVersion {version!r} is not supported (expected 2)")
    identity = identity_of(doc)
    if not identity.references and not identity.digests:
        raise InputError(f"{WHAT}: no ArtifactName, RepoTags or RepoDigests names the image")
    os_data = member(member(doc, "Metadata", WHAT, ""), "OS", WHAT, "/Metadata")
    family, name = text(os_data.get("Family")), text(os_data.get("Name"))
    eosl = os_data.get("EOSL") if isinstance(os_data.get("EOSL"), bool) else None
    report = ImageReport(SCANNER, source, identity,
                         os=OsRelease(family.lower(), name, eosl) if family and name else None)
    for r_index, result in objects(array(doc, "Results", WHAT, ""), WHAT, "/Results"):
        base = f"/Results/{r_index}"
        items = array(result, "Vulnerabilities", WHAT, base)
        for v_index, item in objects(items, WHAT, f"{base}/Vulnerabilities"):
            report.vulnerabilities.append(
                _record(item, f"{base}/Vulnerabilities/{v_index}", source, identity))
        modified = array(result, "ExperimentalModifiedFindings", WHAT, base)
        for m_index, entry in objects(modified, WHAT, f"{base}/ExperimentalModifiedFindings"):
            finding = member(entry, "Finding", WHAT,
                             f"{base}/ExperimentalModifiedFindings/{m_index}")
            if (text(entry.get("Type")) or "vulnerability").lower() != "vulnerability" \
                    or not finding:
                continue
            state = (text(entry.get("Status")) or "not_affected").lower()
            why = text(entry.get("Statement")) or text(entry.get("Source")) or "VEX"
            report.vulnerabilities.append(_record(
                finding, f"{base}/ExperimentalModifiedFindings/{m_index}", source, identity,
                suppressed=f"{state} per {why}", vex_state=state))
    return [report]


read = report_reader(detect, parse)
"""The document reader of this format (see :mod:`ecs_exposure.sources.readers`)."""
