"""Builders for scanner reports and intel files in their real shapes (field names from the
botocore models, Trivy/Grype golden files and the CycloneDX schema), so each test states only
the vulnerability it is about."""

from __future__ import annotations

import gzip
from typing import Any

ACCOUNT = "111122223333"
REGION = "us-east-1"
ECR = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
DIGEST_A = "sha256:" + "a1" * 32
DIGEST_B = "sha256:" + "b2" * 32
DIGEST_C = "sha256:" + "c3" * 32
CONFIG_DIGEST = "sha256:" + "f0" * 32
V_NET = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
V_LOCAL = "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"
V_ADJACENT = "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"


def inspector_finding(cve: str = "CVE-2023-4863", package: str = "libwebp7",
                      version: str = "1.2.4", fixed: str | None = "1.2.4-0.2+deb12u1", *,
                      repo: str = "web", digest: str | None = DIGEST_A,
                      tags: tuple[str, ...] = ("1.0",), vector: str | None = V_NET,
                      severity: str = "HIGH", exploit: str = "NO", epss: float | None = 0.001,
                      status: str = "ACTIVE", related: tuple[str, ...] = (),
                      region: str = REGION, partition: str = "aws",
                      kind: str = "PACKAGE_VULNERABILITY") -> dict[str, Any]:
    """One ``list-findings`` entry on an ECR image (as the AWS CLI prints it)."""
    package_entry: dict[str, Any] = {"name": package, "version": version, "epoch": 0,
                                     "packageManager": "OS", "arch": "AMD64"}
    if fixed is not None:
        package_entry["fixedInVersion"] = fixed
    else:
        package_entry["fixedInVersion"] = "NotAvailable"
    details: dict[str, Any] = {"vulnerabilityId": cve, "source": "NVD",
                               "relatedVulnerabilities": list(related),
                               "vulnerablePackages": [package_entry],
                               "vendorSeverity": severity,
                               "referenceUrls": [f"https://nvd.nist.gov/vuln/detail/{cve}"]}
    image = {"repositoryName": repo, "registry": ACCOUNT, "imageTags": list(tags),
             "architecture": "amd64", "pushedAt": "2024-04-18T09:12:44+00:00", "inUseCount": 2}
    if digest:
        image["imageHash"] = digest
    finding: dict[str, Any] = {
        "awsAccountId": ACCOUNT, "description": f"{cve} description",
        "findingArn": f"arn:{partition}:inspector2:{region}:{ACCOUNT}:finding/{cve}-{repo}",
        "firstObservedAt": "2024-04-18T09:31:12.113000+00:00",
        "lastObservedAt": "2024-06-10T05:47:38.602000+00:00",
        "packageVulnerabilityDetails": details,
        "remediation": {"recommendation": {"text": "None Provided", "Url": "https://x"}},
        "resources": [{"type": "AWS_ECR_CONTAINER_IMAGE", "partition": partition,
                       "region": region,
                       "id": f"arn:{partition}:ecr:{region}:{ACCOUNT}:repository/{repo}/"
                             f"{digest or 'sha256:' + '0' * 64}",
                       "details": {"awsEcrContainerImage": image}}],
        "severity": severity, "status": status, "title": f"{cve} - {package}", "type": kind,
        "updatedAt": "2024-06-10T05:47:38.602000+00:00",
        "exploitAvailable": exploit, "fixAvailable": "YES" if fixed else "NO",
        "someFieldFromTheFuture": {"ignored": True},
    }
    if epss is not None:
        finding["epss"] = {"score": epss}
    if vector is not None:
        finding["inspectorScore"] = 8.8
        finding["inspectorScoreDetails"] = {"adjustedCvss": {
            "scoreSource": "NVD", "cvssSource": "NVD", "score": 8.8, "version": "3.1",
            "scoringVector": vector, "adjustments": []}}
        details["cvss"] = [{"baseScore": 8.8, "scoringVector": vector, "source": "NVD",
                            "version": "3.1"}]
    return finding


def inspector(*findings: dict[str, Any]) -> dict[str, Any]:
    """``aws inspector2 list-findings`` output."""
    return {"findings": list(findings)}


def ecr_scan(repo: str = "web", tag: str | None = "1.0", digest: str | None = DIGEST_A, *,
             basic: list[dict[str, Any]] | None = None,
             enhanced: list[dict[str, Any]] | None = None,
             status: str = "COMPLETE") -> dict[str, Any]:
    """``aws ecr describe-image-scan-findings`` output."""
    image_id: dict[str, Any] = {}
    if digest:
        image_id["imageDigest"] = digest
    if tag:
        image_id["imageTag"] = tag
    body: dict[str, Any] = {"imageScanCompletedAt": 1718000000.0,
                            "vulnerabilitySourceUpdatedAt": 1717990000.0,
                            "findingSeverityCounts": {"HIGH": 1}}
    if basic is not None:
        body["findings"] = basic
    if enhanced is not None:
        body["enhancedFindings"] = enhanced
    return {"registryId": ACCOUNT, "repositoryName": repo, "imageId": image_id,
            "imageScanStatus": {"status": status, "description": "The scan was completed."},
            "imageScanFindings": body}


def ecr_basic_finding(cve: str = "CVE-2023-45871", package: str = "linux",
                      version: str = "4.19.269-1", severity: str = "CRITICAL",
                      vector: str | None = V_NET) -> dict[str, Any]:
    attributes = [{"key": "package_name", "value": package},
                  {"key": "package_version", "value": version}]
    if vector:
        attributes += [{"key": "CVSS3_SCORE", "value": "9.8"},
                       {"key": "CVSS3_VECTOR", "value": vector}]
    return {"name": cve, "severity": severity,
            "uri": f"https://security-tracker.debian.org/tracker/{cve}",
            "description": "An issue was discovered.", "attributes": attributes}


def trivy_vuln(cve: str = "CVE-2023-5363", package: str = "libssl3",
               installed: str = "3.0.11-1~deb12u1", fixed: str | None = "3.0.11-1~deb12u2", *,
               severity: str = "HIGH", vectors: dict[str, str] | None = None,
               status: str = "fixed", severity_source: str = "nvd",
               vendor_ids: tuple[str, ...] = (), cwes: tuple[str, ...] = ()) -> dict[str, Any]:
    """One ``DetectedVulnerability``."""
    vectors = {"nvd": V_NET} if vectors is None else vectors
    item: dict[str, Any] = {
        "VulnerabilityID": cve, "VendorIDs": list(vendor_ids), "PkgID": f"{package}@{installed}",
        "PkgName": package, "InstalledVersion": installed, "Status": status,
        "PkgIdentifier": {"PURL": f"pkg:deb/debian/{package}@{installed}", "UID": "1"},
        "Layer": {"Digest": "sha256:" + "9" * 64, "DiffID": "sha256:" + "8" * 64},
        "SeveritySource": severity_source, "PrimaryURL": f"https://avd.aquasec.com/nvd/{cve}",
        "DataSource": {"ID": "debian", "Name": "Debian Security Tracker", "URL": "https://x"},
        "Title": "title", "Description": "description", "Severity": severity,
        "CweIDs": list(cwes), "VendorSeverity": {"nvd": 3},
        "CVSS": {source: {"V3Vector": vector, "V3Score": 7.5}
                 for source, vector in vectors.items()},
        "References": ["https://x"], "PublishedDate": "2023-10-25T18:17:43.613Z",
        "Fingerprint": "sha256:ffff",
    }
    if fixed:
        item["FixedVersion"] = fixed
    return item


def trivy(artifact: str, vulns: list[dict[str, Any]], *, digest: str | None = None,
          os: tuple[str, str, bool | None] | None = ("debian", "12.5", None),
          repo_tags: list[str] | None = None,
          modified: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """``trivy image -f json`` output (SchemaVersion 2)."""
    repo = artifact.rsplit(":", 1)[0] if ":" in artifact.rsplit("/", 1)[-1] else artifact
    metadata: dict[str, Any] = {"Size": 1024, "ImageID": CONFIG_DIGEST,
                                "DiffIDs": ["sha256:" + "8" * 64],
                                "RepoTags": repo_tags if repo_tags is not None else [artifact],
                                "RepoDigests": [f"{repo}@{digest}"] if digest else [],
                                "ImageConfig": {"config": {"User": "", "Env": ["PATH=/usr/bin"]}}}
    if os is not None:
        metadata["OS"] = {"Family": os[0], "Name": os[1]}
        if os[2] is not None:
            metadata["OS"]["EOSL"] = os[2]
    result: dict[str, Any] = {"Target": f"{artifact} (debian 12.5)", "Class": "os-pkgs",
                              "Type": "debian", "Vulnerabilities": vulns}
    if modified:
        result["ExperimentalModifiedFindings"] = modified
    return {"SchemaVersion": 2, "CreatedAt": "2024-06-10T06:12:31Z", "ArtifactName": artifact,
            "ArtifactType": "container_image", "Metadata": metadata, "Results": [result],
            "Trivy": {"Version": "0.52.0"}}


def grype_match(vuln_id: str = "CVE-2023-44487", package: str = "golang.org/x/net",
                version: str = "v0.7.0", *, vector: str | None = V_NET,
                severity: str = "High", kev: bool = False, epss: float | None = None,
                related: list[dict[str, Any]] | None = None, fixed: str | None = "0.17.0",
                cwes: tuple[str, ...] = ()) -> dict[str, Any]:
    """One Grype match."""
    vulnerability: dict[str, Any] = {
        "id": vuln_id, "dataSource": "https://x", "namespace": "github:language:go",
        "severity": severity, "urls": [], "description": "d",
        "cvss": [] if vector is None else [
            {"source": "security-advisories@github.com", "type": "Secondary", "version": "3.1",
             "vector": vector, "metrics": {"baseScore": 7.5}, "vendorMetadata": {}}],
        "fix": {"versions": [fixed] if fixed else [], "state": "fixed" if fixed else "not-fixed"},
        "advisories": [], "risk": 50.0,
        "cwes": [{"cve": vuln_id, "cwe": c, "source": "nvd", "type": "Primary"} for c in cwes],
    }
    if kev:
        vulnerability["knownExploited"] = [{"cve": vuln_id, "vendorProject": "IETF",
                                            "product": "HTTP/2", "dateAdded": "2023-10-10",
                                            "knownRansomwareCampaignUse": "Unknown"}]
    if epss is not None:
        vulnerability["epss"] = [{"cve": vuln_id, "epss": epss, "percentile": 0.9,
                                  "date": "2024-06-10"}]
    return {"vulnerability": vulnerability, "relatedVulnerabilities": related or [],
            "matchDetails": [{"type": "exact-direct-match", "matcher": "go-module-matcher",
                              "searchedBy": {}, "found": {}}],
            "artifact": {"id": "x", "name": package, "version": version, "type": "go-module",
                         "locations": [{"path": "/app/server"}], "language": "go",
                         "licenses": [], "cpes": [], "purl": f"pkg:golang/{package}@{version}",
                         "upstreams": []}}


def grype(user_input: str, matches: list[dict[str, Any]], *, manifest: str | None = None,
          ignored: list[dict[str, Any]] | None = None, source_type: str = "image",
          distro: tuple[str, str] = ("debian", "12")) -> dict[str, Any]:
    """``grype IMAGE -o json`` output."""
    target: dict[str, Any] = {"userInput": user_input, "imageID": CONFIG_DIGEST,
                              "manifestDigest": manifest, "tags": [], "repoDigests": [],
                              "mediaType": "application/vnd.oci.image.manifest.v1+json",
                              "manifest": None, "config": None}
    doc: dict[str, Any] = {"matches": matches, "source": {"type": source_type, "target": target},
                           "distro": {"name": distro[0], "version": distro[1], "idLike": []},
                           "descriptor": {"name": "grype", "version": "0.79.0"}}
    if ignored is not None:
        doc["ignoredMatches"] = ignored
    return doc


def cyclonedx(image_purl: str | None, vulnerabilities: list[dict[str, Any]], *,
              components: list[dict[str, Any]] | None = None, name: str = "web",
              spec: str = "1.6", properties: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """A CycloneDX JSON document about a container image."""
    component: dict[str, Any] = {"bom-ref": "image", "type": "container", "name": name}
    if image_purl:
        component["purl"] = image_purl
    if properties:
        component["properties"] = properties
    return {"bomFormat": "CycloneDX", "specVersion": spec,
            "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79", "version": 1,
            "metadata": {"timestamp": "2024-06-10T00:00:00Z", "component": component},
            "components": components or [], "vulnerabilities": vulnerabilities}


def cdx_vuln(vuln_id: str, ref: str, *, state: str | None = None,
             justification: str | None = None, vector: str | None = V_NET,
             method: str = "CVSSv31", severity: str = "high") -> dict[str, Any]:
    item: dict[str, Any] = {"id": vuln_id, "source": {"name": "nvd"},
                            "ratings": [{"source": {"name": "nvd"}, "score": 7.5,
                                         "severity": severity, "method": method,
                                         **({"vector": vector} if vector else {})}],
                            "affects": [{"ref": ref}]}
    if state:
        item["analysis"] = {"state": state, **({"justification": justification}
                                                if justification else {})}
    return item


def kev(*cves: str, version: str = "2024.06.10") -> dict[str, Any]:
    """A CISA KEV catalog."""
    return {"title": "CISA Catalog of Known Exploited Vulnerabilities",
            "catalogVersion": version, "dateReleased": "2024-06-10T17:01:12.6352Z",
            "count": len(cves), "vulnerabilities": [
                {"cveID": cve, "vendorProject": "v", "product": "p", "vulnerabilityName": "n",
                 "dateAdded": "2023-09-13", "shortDescription": "s", "requiredAction": "a",
                 "dueDate": "2023-10-04", "knownRansomwareCampaignUse": "Unknown", "notes": "",
                 "cwes": ["CWE-787"]} for cve in cves]}


def epss_csv(rows: list[tuple[str, float, float]], *, gz: bool = False,
             date: str = "2024-06-10T00:00:00+0000") -> bytes:
    """The FIRST EPSS daily file, with its comment line."""
    text = f"#model_version:v2023.03.01,score_date:{date}\ncve,epss,percentile\n" + "".join(
        f"{cve},{score:.5f},{pct:.5f}\n" for cve, score, pct in rows)
    data = text.encode()
    return gzip.compress(data) if gz else data
