"""Amazon Inspector v2 findings: ``aws inspector2 list-findings`` output, a findings report
export, an EventBridge ``Inspector2 Finding`` event, or one bare finding.

Only ``PACKAGE_VULNERABILITY`` findings on ``AWS_ECR_CONTAINER_IMAGE`` resources are read:
network-reachability and code findings describe EC2 instances and Lambda functions. ``CLOSED``
findings are gone from the image; ``SUPPRESSED`` ones are kept but marked, so a finding can
say which matches a suppression rule took out. Inspector scores EPSS and exploit availability
itself; its adjusted CVSS vector (the vendor's, when there is one) comes first.

Example (abridged)::

    {"findings": [{"findingArn": "arn:aws:inspector2:…", "type": "PACKAGE_VULNERABILITY",
      "severity": "CRITICAL", "status": "ACTIVE", "exploitAvailable": "YES",
      "epss": {"score": 0.94},
      "packageVulnerabilityDetails": {"vulnerabilityId": "CVE-2022-22965",
        "vulnerablePackages": [{"name": "org.springframework:spring-beans", "version": "5.3.17",
                                "fixedInVersion": "5.3.18"}]},
      "resources": [{"type": "AWS_ECR_CONTAINER_IMAGE", "details": {"awsEcrContainerImage": {
        "registry": "111122223333", "repositoryName": "web", "imageHash": "sha256:…"}}}]}]}
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Any

import orjson

from ecs_exposure.analysis.arn import parse_arn
from ecs_exposure.analysis.images.reference import ImageRef, ecr_image, normalise_digest
from ecs_exposure.analysis.vulnerabilities.cvss import CvssVector
from ecs_exposure.analysis.vulnerabilities.cvss import vector as shared_vector
from ecs_exposure.analysis.vulnerabilities.records import (
    ImageIdentity,
    ImageReport,
    Origin,
    Vulnerability,
)
from ecs_exposure.sources.scanners.common import (
    JsonMemo,
    Mistyped,
    array,
    as_object,
    fixed,
    member,
    number,
    obj,
    objects,
    report_reader,
    severity,
    shared,
    shared_ids,
    strings_at,
    text,
    yes_no,
)

SCANNER = "Amazon Inspector"
WHAT = "Amazon Inspector findings"
_MARKERS = ("findingArn", "packageVulnerabilityDetails", "inspectorScore")


def _is_finding(item: Any) -> bool:
    return isinstance(item, dict) and any(key in item for key in _MARKERS)


def detect(doc: Any) -> bool:
    """``findings`` holding Inspector findings (or none), an EventBridge event, a bare finding."""
    if not isinstance(doc, dict):
        return False
    if doc.get("detail-type") == "Inspector2 Finding" and isinstance(doc.get("detail"), dict):
        return True
    findings = doc.get("findings")
    if isinstance(findings, list):
        first = next((f for f in findings if isinstance(f, dict)), None)
        return first is None or _is_finding(first)
    return "findings" not in doc and _is_finding(doc) and "imageScanFindings" not in doc


def timestamp(value: Any) -> str | None:
    """ISO text from an ISO string, an epoch number (raw API) or a human date (EventBridge)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, UTC).isoformat().replace("+00:00", "Z")
        except (OverflowError, OSError, ValueError):
            return None
    return text(value)


def installed_version(package: dict[str, Any]) -> str | None:
    """``epoch:version-release`` as the package manager writes it."""
    version = text(package.get("version"))
    if version is None:
        return None
    release = text(package.get("release"))
    epoch = package.get("epoch")
    if release:
        version = f"{version}-{release}"
    if isinstance(epoch, int) and not isinstance(epoch, bool) and epoch > 0:
        version = f"{epoch}:{version}"
    return sys.intern(version)


def vectors(adjusted: dict[str, Any], listed: list[Any], score_key: str) -> tuple[CvssVector, ...]:
    """Inspector's adjusted (vendor-preferred) vector, then the listed ones, vendors first."""
    found: list[CvssVector] = []
    vector = text(adjusted.get("scoringVector"))
    if vector:
        source = text(adjusted.get("scoreSource")) or text(adjusted.get("cvssSource"))
        found.append(shared_vector(vector, (source or "inspector").lower(),
                                number(adjusted.get("score"))))
    listed_vectors = [
        shared_vector(v, (text(item.get("source")) or "unknown").lower(),
                   number(item.get(score_key)))
        for item in listed if isinstance(item, dict) and (v := text(item.get("scoringVector")))
    ]
    for index, item in enumerate(listed):
        as_object(item, WHAT, f"/cvss/{index}")  # a mistyped entry is an error, not skipped
    found += [v for v in listed_vectors if v.source != "nvd"]
    found += [v for v in listed_vectors if v.source == "nvd"]
    return tuple(dict.fromkeys(found))


_VECTORS = JsonMemo(vectors)
"""Findings of the same CVE carry the same scores: read each distinct set once."""


def package_records(finding: dict[str, Any], pointer: str, source: str, scanner: str,
                    image: ImageIdentity | None, *, adjusted: dict[str, Any],
                    score: float | None) -> list[Vulnerability]:
    """One record per vulnerable package of an Inspector-shaped finding (also ECR enhanced)."""
    status = (text(finding.get("status")) or "ACTIVE").upper()
    kind = text(finding.get("type"))
    if status == "CLOSED" or (kind is not None and kind != "PACKAGE_VULNERABILITY"):
        return []
    details = member(finding, "packageVulnerabilityDetails", WHAT, pointer)
    where = f"{pointer}/packageVulnerabilityDetails"
    raw_id = text(details.get("vulnerabilityId")) or text(finding.get("title")) or "UNKNOWN"
    related = tuple(strings_at(details, "relatedVulnerabilities", WHAT, where))
    # The MAL- check covers raw_id: it starts with the primary id, returned as id or alias.
    vuln_id, aliases, malicious = shared_ids(raw_id.split(" - ", 1)[0], related)
    try:
        cvss = _VECTORS(adjusted, array(details, "cvss", WHAT, where), "baseScore")
    except Mistyped as exc:
        raise exc.under(where) from None
    level = severity(finding.get("severity"))
    if level == "UNKNOWN":
        level = severity(details.get("vendorSeverity"))
    fix = yes_no(finding.get("fixAvailable"))
    exploit = yes_no(finding.get("exploitAvailable"))
    epss = number(member(finding, "epss", WHAT, pointer).get("score"))
    exploitability = finding.get("exploitabilityDetails")
    last_exploit = None if exploitability is None else timestamp(
        member(finding, "exploitabilityDetails", WHAT, pointer).get("lastKnownExploitAt"))
    suppressed = f"suppressed in {scanner} (finding status SUPPRESSED)" \
        if status == "SUPPRESSED" else None
    origin = (Origin(scanner, source, pointer),)
    records: list[Vulnerability] = []
    packages = array(details, "vulnerablePackages", WHAT, where)
    for _, package in objects(packages, WHAT, f"{where}/vulnerablePackages"):
        fixed_in = fixed(package.get("fixedInVersion"))
        records.append(Vulnerability(
            id=vuln_id, package=shared(package.get("name")) or "", aliases=aliases,
            installed_version=installed_version(package), fixed_version=fixed_in,
            fix_available=True if fixed_in else fix, severity=level, cvss=cvss,
            epss=epss, kev=False, exploit_available=exploit, malicious=malicious,
            vex_state=None, suppressed=suppressed, origins=origin, image=image,
            package_path=shared(package.get("filePath")), score=score,
            last_known_exploit=last_exploit,
        ))
    return records


def ecr_identity(resource: dict[str, Any],
                 pointer: str = "") -> tuple[str, ImageIdentity] | None:
    """The ECR image a finding's resource names, keyed for grouping findings per image."""
    details = member(member(resource, "details", WHAT, pointer), "awsEcrContainerImage", WHAT,
                     f"{pointer}/details")
    if not details:
        return None
    arn = parse_arn(resource.get("id"))
    repository = text(details.get("repositoryName"))
    if repository is None and arn is not None and arn.resource.startswith("repository/"):
        repository = arn.resource.removeprefix("repository/").rsplit("/sha256:", 1)[0]
    digest = normalise_digest(details.get("imageHash"))
    account = text(details.get("registry")) or (arn.account if arn else None)
    region = text(resource.get("region")) or (arn.region if arn else None)
    partition = text(resource.get("partition")) or (arn.partition if arn else None)
    if repository is None and digest is None:
        return None
    tags: list[str | None] = list(strings_at(details, "imageTags", WHAT,
                                            f"{pointer}/details/awsEcrContainerImage"))
    refs: list[ImageRef] = []
    if repository:
        for tag in tags or [None]:
            ref = ecr_image(account, region, repository, tag=tag, digest=digest,
                            partition=partition)
            if ref is not None:
                refs.append(ref)
    label = refs[0].full_name if refs else str(digest)
    key = f"{digest}|{'|'.join(r.full_name for r in refs)}"
    return key, ImageIdentity(frozenset({digest} if digest else ()), tuple(refs), label)


def _resource_key(resource: dict[str, Any]) -> bytes | str:
    """The fields :func:`ecr_identity` reads, serialised (orjson is faster than ``repr``)."""
    details = obj(obj(resource.get("details")).get("awsEcrContainerImage"))
    fields = (resource.get("id"), resource.get("region"), resource.get("partition"),
              details.get("repositoryName"), details.get("imageHash"),
              details.get("registry"), details.get("imageTags"))
    try:
        return orjson.dumps(fields)
    except TypeError:  # not parsed JSON
        return repr(fields)


def parse(doc: dict[str, Any], source: str) -> list[ImageReport]:
    """One report per ECR image named by the findings."""
    if doc.get("detail-type") == "Inspector2 Finding":
        findings: list[Any] = [doc["detail"]]
        pointers = ["/detail"]
    elif "findings" in doc:
        findings = array(doc, "findings", WHAT, "")
        pointers = [f"/findings/{i}" for i in range(len(findings))]
    else:
        findings, pointers = [doc], [""]
    reports: dict[str, ImageReport] = {}
    seen: dict[bytes | str, tuple[str, ImageIdentity] | None] = {}
    for (_, finding), pointer in zip(objects(findings, WHAT, "/findings"), pointers,
                                     strict=True):
        resources = array(finding, "resources", WHAT, pointer)
        for r_index, resource in objects(resources, WHAT, f"{pointer}/resources"):
            # Thousands of findings name the same image: read its identity once.
            raw = _resource_key(resource)
            if raw not in seen:
                seen[raw] = ecr_identity(resource, f"{pointer}/resources/{r_index}")
            found = seen[raw]
            if found is None:
                continue
            key, identity = found
            report = reports.get(key)
            if report is None:
                report = reports[key] = ImageReport(SCANNER, source, identity)
            adjusted = member(member(finding, "inspectorScoreDetails", WHAT, pointer),
                              "adjustedCvss", WHAT, f"{pointer}/inspectorScoreDetails")
            report.vulnerabilities += package_records(
                finding, pointer, source, SCANNER, report.identity, adjusted=adjusted,
                score=number(finding.get("inspectorScore")))
    return list(reports.values())


read = report_reader(detect, parse)
"""The document reader of this format (see :mod:`ecs_exposure.sources.readers`)."""
