"""Amazon ECR image scan findings: ``aws ecr describe-image-scan-findings`` output, basic
(``findings``) and enhanced (``enhancedFindings``, Inspector-shaped) scanning.

The response names the account and repository but not the region, so the image is matched on
account + repository + tag (or its digest) in any region, unless an enhanced finding's
resource ARN gives the region. Basic findings carry their package and CVSS data as string
key/value ``attributes``. A scan that failed or has not finished is not a scan result: the
image stays unscanned.

Example (basic)::

    {"registryId": "111122223333", "repositoryName": "web",
     "imageId": {"imageDigest": "sha256:…", "imageTag": "1.4.2"},
     "imageScanStatus": {"status": "COMPLETE"},
     "imageScanFindings": {"findings": [{"name": "CVE-2023-45871", "severity": "CRITICAL",
       "attributes": [{"key": "package_name", "value": "linux"},
                      {"key": "CVSS3_VECTOR", "value": "CVSS:3.1/AV:N/…"}]}]}}
"""

from __future__ import annotations

from typing import Any

from ecs_exposure.analysis.arn import parse_arn
from ecs_exposure.analysis.images.reference import ecr_image, normalise_digest
from ecs_exposure.analysis.vulnerabilities.cvss import vector as shared_vector
from ecs_exposure.analysis.vulnerabilities.records import (
    ImageIdentity,
    ImageReport,
    Origin,
    Vulnerability,
    canonical_id,
)
from ecs_exposure.sources.jsonfile import InputError
from ecs_exposure.sources.scanners.common import (
    array,
    is_malicious,
    member,
    number,
    object_list,
    objects,
    report_reader,
    severity,
    text,
)
from ecs_exposure.sources.scanners.inspector import package_records

SCANNER = "Amazon ECR"
WHAT = "ECR image scan findings"


def detect(doc: Any) -> bool:
    """The ``imageScanFindings`` member identifies the response."""
    return isinstance(doc, dict) and "imageScanFindings" in doc


def _region(findings: list[Any]) -> tuple[str | None, str | None]:
    base = "/imageScanFindings/enhancedFindings"
    for index, finding in objects(findings, WHAT, base):
        for resource in object_list(finding, "resources", WHAT, f"{base}/{index}"):
            arn = parse_arn(resource.get("id"))
            if arn is not None and arn.region:
                return arn.region, arn.partition
    return None, None


def _basic(finding: dict[str, Any], pointer: str, source: str,
           image: ImageIdentity) -> Vulnerability:
    attributes: dict[str, str] = {}
    for _, pair in objects(array(finding, "attributes", WHAT, pointer), WHAT,
                           f"{pointer}/attributes"):
        key, value = text(pair.get("key")), text(pair.get("value"))
        if key and value:
            attributes[key.lower()] = value
    cvss = tuple(
        shared_vector(vector, "ecr", number(attributes.get(f"cvss{v}_score")))
        for v in ("3", "2") if (vector := attributes.get(f"cvss{v}_vector"))
    )
    raw_id = text(finding.get("name")) or "UNKNOWN"
    vuln_id, aliases = canonical_id(raw_id)
    return Vulnerability(
        id=vuln_id, package=attributes.get("package_name", ""), aliases=aliases,
        installed_version=attributes.get("package_version"), fixed_version=None,
        fix_available=None, severity=severity(finding.get("severity")), cvss=cvss, epss=None,
        kev=False, exploit_available=None, malicious=is_malicious([vuln_id], set()),
        vex_state=None, suppressed=None, origins=(Origin(SCANNER, source, pointer),),
        image=image, score=cvss[0].score if cvss else None,
    )


def parse(doc: dict[str, Any], source: str) -> list[ImageReport]:
    """One report for the scanned image."""
    body = doc["imageScanFindings"]
    if not isinstance(body, dict):
        raise InputError(f"{WHAT}: /imageScanFindings is not an object")
    basic = array(body, "findings", WHAT, "/imageScanFindings")
    enhanced = array(body, "enhancedFindings", WHAT, "/imageScanFindings")
    image_id = member(doc, "imageId", WHAT, "")
    digest = normalise_digest(image_id.get("imageDigest"))
    region, partition = _region(enhanced)
    repository = text(doc.get("repositoryName"))
    refs = []
    if repository:
        ref = ecr_image(text(doc.get("registryId")), region, repository,
                        tag=text(image_id.get("imageTag")), digest=digest, partition=partition)
        refs = [ref] if ref is not None else []
    if not refs and digest is None:
        raise InputError(f"{WHAT}: neither repositoryName nor imageId.imageDigest names the "
                         "scanned image")
    identity = ImageIdentity(frozenset({digest} if digest else ()), tuple(refs),
                             refs[0].full_name if refs else str(digest))
    status = text(member(doc, "imageScanStatus", WHAT, "").get("status"))
    report = ImageReport(SCANNER, source, identity, status=status.upper() if status else None)
    for index, finding in objects(basic, WHAT, "/imageScanFindings/findings"):
        report.vulnerabilities.append(
            _basic(finding, f"/imageScanFindings/findings/{index}", source, identity))
    for index, finding in objects(enhanced, WHAT, "/imageScanFindings/enhancedFindings"):
        pointer = f"/imageScanFindings/enhancedFindings/{index}"
        cvss = member(member(finding, "scoreDetails", WHAT, pointer), "cvss", WHAT,
                      f"{pointer}/scoreDetails")
        report.vulnerabilities += package_records(
            finding, pointer, source, SCANNER, identity, adjusted=cvss,
            score=number(finding.get("score")))
    return [report]


read = report_reader(detect, parse)
"""The document reader of this format (see :mod:`ecs_exposure.sources.readers`)."""
