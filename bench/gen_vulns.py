"""Vulnerability reports for the estate's images: Trivy JSON (``trivy image -f json``,
SchemaVersion 2) and Amazon Inspector v2 ``list-findings`` output, shaped after
``shared/reference/images.md`` §1.2–1.3.

Real estates get both: CI runs Trivy on every image it builds (one report per image), and ECR
enhanced scanning feeds Inspector, which users export per team with a repository-name prefix
filter (one file per team). Records are spread over images with a heavy tail (a few old images
carry hundreds of CVEs, most carry a few dozen) and the total is exactly the requested count.
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.common import ACCOUNT, REGION, Json, Source, split_evenly

WORDS = ("buffer", "overflow", "in", "the", "parser", "allows", "remote", "attackers", "to",
         "cause", "a", "denial", "of", "service", "via", "crafted", "input", "heap", "read",
         "use-after-free", "when", "handling", "certificate", "request", "header", "memory",
         "corruption", "out-of-bounds", "write", "function", "integer", "validation")
OS_PACKAGES = ("openssl", "libssl3", "zlib1g", "libc6", "curl", "libcurl4", "libxml2", "tar",
               "gnutls28", "libgcrypt20", "perl-base", "ncurses-base", "systemd", "libsqlite3-0",
               "libexpat1", "krb5", "glib2.0", "libtiff6", "libpng16-16", "openldap")
LANG_PACKAGES = (("python-pkg", "PYTHONPKG", ("flask", "requests", "urllib3", "jinja2",
                                              "cryptography", "pyyaml", "werkzeug")),
                 ("node-pkg", "NODEPKG", ("lodash", "express", "axios", "semver",
                                         "jsonwebtoken", "minimist", "ws")),
                 ("jar", "JAR", ("log4j-core", "jackson-databind", "spring-web", "netty-codec",
                                 "snakeyaml", "commons-text")))
SEVERITIES = ("LOW", "MEDIUM", "HIGH", "CRITICAL")
SEVERITY_WEIGHTS = [30.0, 40.0, 22.0, 8.0]
VECTORS = ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/"
           "C:N/I:N/A:H", "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", "CVSS:3.1/AV:N/AC:H/"
           "PR:N/UI:R/S:U/C:L/I:L/A:N", "CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:N/I:N/A:H")


@dataclass(frozen=True)
class Image:
    """One image a container runs, as a scanner names it."""

    registry: str
    repo: str
    tag: str
    digest: str
    team: int | None
    """Owning team of an ECR image; ``None`` for public sidecar images."""

    @property
    def reference(self) -> str:
        """``registry/repo:tag`` (what the task definition's ``image`` field holds)."""
        return f"{self.registry}/{self.repo}:{self.tag}"


@dataclass(frozen=True)
class Cve:
    """One vulnerability in the pool that image reports draw from."""

    id: str
    package: str
    ecosystem: tuple[str, str]
    """``(Trivy result type, Inspector package manager)``."""
    installed: str
    fixed: str
    severity: str
    vector: str
    score: float
    title: str
    description: str
    published: str
    cwe: str


def _cve_pool(src: Source, size: int) -> list[Cve]:
    pool = []
    for n in range(size):
        if src.chance(0.6):
            package, ecosystem = src.pick(OS_PACKAGES), ("debian", "OS")
        else:
            kind, manager, names = src.pick(LANG_PACKAGES)
            package, ecosystem = src.pick(names), (kind, manager)
        major, minor = src.rng.randrange(0, 5), src.rng.randrange(0, 20)
        severity = src.weighted(SEVERITIES, SEVERITY_WEIGHTS)
        words = " ".join(src.pick(WORDS) for _ in range(src.rng.randrange(20, 45)))
        pool.append(Cve(
            id=f"CVE-{2018 + n % 7}-{10000 + n}", package=package, ecosystem=ecosystem,
            installed=f"{major}.{minor}.{src.rng.randrange(0, 9)}",
            fixed=f"{major}.{minor + 1}.0" if src.chance(0.8) else "",
            severity=severity, vector=src.pick(VECTORS),
            score={"LOW": 3.1, "MEDIUM": 5.9, "HIGH": 7.5, "CRITICAL": 9.8}[severity],
            title=f"{package}: {' '.join(words.split()[:6])}",
            description=words.capitalize() + ".", published=src.timestamp(2500),
            cwe=f"CWE-{src.pick((20, 79, 119, 125, 200, 287, 400, 416, 787))}"))
    return pool


def _trivy_record(cve: Cve, image: Image) -> Json:
    kind, _ = cve.ecosystem
    purl_type = {"debian": "deb/debian", "python-pkg": "pypi", "node-pkg": "npm",
                 "jar": "maven/org.example"}[kind]
    record: Json = {
        "VulnerabilityID": cve.id, "PkgID": f"{cve.package}@{cve.installed}",
        "PkgName": cve.package,
        "PkgIdentifier": {"PURL": f"pkg:{purl_type}/{cve.package}@{cve.installed}",
                          "UID": cve.id[-8:] + image.digest[7:15]},
        "InstalledVersion": cve.installed, "Status": "fixed" if cve.fixed else "affected",
        "Layer": {"DiffID": "sha256:" + image.digest[7:][::-1]},
        "SeveritySource": "nvd", "PrimaryURL": f"https://avd.aquasec.com/nvd/{cve.id.lower()}",
        "DataSource": {"ID": "debian", "Name": "Debian Security Tracker",
                       "URL": "https://salsa.debian.org/security-tracker-team/security-tracker"},
        "Title": cve.title, "Description": cve.description, "Severity": cve.severity,
        "CweIDs": [cve.cwe], "VendorSeverity": {"nvd": SEVERITIES.index(cve.severity) + 1},
        "CVSS": {"nvd": {"V3Vector": cve.vector, "V3Score": cve.score}},
        "References": [f"https://nvd.nist.gov/vuln/detail/{cve.id}",
                       f"https://security-tracker.debian.org/tracker/{cve.id}"],
        "PublishedDate": cve.published, "LastModifiedDate": cve.published,
    }
    if cve.fixed:
        record["FixedVersion"] = cve.fixed
    return record


def trivy_report(src: Source, image: Image, cves: list[Cve]) -> Json:
    """``trivy image -f json`` output for one image."""
    results: dict[str, list[Json]] = {}
    for cve in cves:
        results.setdefault(cve.ecosystem[0], []).append(_trivy_record(cve, image))
    targets = []
    for kind in sorted(results):
        target = (f"{image.reference} (debian 12.5)" if kind == "debian"
                  else f"app/{kind.replace('-pkg', '')}")
        targets.append({"Target": target, "Class": "os-pkgs" if kind == "debian"
                        else "lang-pkgs", "Type": kind, "Vulnerabilities": results[kind]})
    return {
        "SchemaVersion": 2, "Trivy": {"Version": "0.58.1"}, "ReportID": src.uuid(),
        "CreatedAt": src.timestamp(20), "ArtifactID": "sha256:" + src.hex(64),
        "ArtifactName": image.reference, "ArtifactType": "container_image",
        "Metadata": {"OS": {"Family": "debian", "Name": "12.5"}, "ImageID": "sha256:" +
                     src.hex(64), "DiffIDs": ["sha256:" + src.hex(64)],
                     "RepoTags": [image.reference],
                     "RepoDigests": [f"{image.registry}/{image.repo}@{image.digest}"],
                     "ImageConfig": {"architecture": "amd64", "os": "linux", "config": {
                         "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin"]}}},
        "Results": targets,
    }


def inspector_finding(src: Source, cve: Cve, image: Image) -> Json:
    """One Inspector v2 ``Finding`` of an ECR image."""
    _, manager = cve.ecosystem
    package: Json = {"name": cve.package, "version": cve.installed, "packageManager": manager}
    if cve.fixed:
        package["fixedInVersion"] = cve.fixed
    return {
        "findingArn": f"arn:aws:inspector2:{REGION}:{ACCOUNT}:finding/{src.hex(32)}",
        "awsAccountId": ACCOUNT, "type": "PACKAGE_VULNERABILITY",
        "description": cve.description, "title": f"{cve.id} - {cve.package}",
        "remediation": {"recommendation": {"text": "None Provided"}},
        "severity": cve.severity, "firstObservedAt": cve.published,
        "lastObservedAt": src.timestamp(5), "updatedAt": src.timestamp(5), "status": "ACTIVE",
        "inspectorScore": cve.score,
        "inspectorScoreDetails": {"adjustedCvss": {
            "scoreSource": "NVD", "cvssSource": "NVD", "version": "3.1", "score": cve.score,
            "scoringVector": cve.vector, "adjustments": []}},
        "fixAvailable": "YES" if cve.fixed else "NO",
        "exploitAvailable": "YES" if src.chance(0.05) else "NO",
        "epss": {"score": round(src.rng.random() ** 6, 5)},
        "packageVulnerabilityDetails": {
            "vulnerabilityId": cve.id, "source": "NVD",
            "sourceUrl": f"https://nvd.nist.gov/vuln/detail/{cve.id}",
            "vendorSeverity": cve.severity, "vendorCreatedAt": cve.published,
            "cvss": [{"baseScore": cve.score, "scoringVector": cve.vector, "source": "NVD",
                      "version": "3.1"}],
            "referenceUrls": [f"https://nvd.nist.gov/vuln/detail/{cve.id}"],
            "vulnerablePackages": [package]},
        "resources": [{
            "type": "AWS_ECR_CONTAINER_IMAGE",
            "id": f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{image.repo}/{image.digest}",
            "partition": "aws", "region": REGION,
            "details": {"awsEcrContainerImage": {
                "repositoryName": image.repo, "imageHash": image.digest,
                "imageTags": [image.tag], "registry": ACCOUNT, "architecture": "amd64",
                "pushedAt": src.timestamp(200), "inUseCount": src.rng.randrange(1, 20),
                "lastInUseAt": src.timestamp(2)}}}],
    }


def plan_reports(src: Source, images: list[Image], total: int) -> list[tuple[Image, list[Cve],
                                                                                 str]]:
    """``(image, its CVEs, "trivy" | "inspector")`` with exactly ``total`` records overall.

    80% of ECR images and every public sidecar image have a report; half of the ECR images are
    covered by Inspector, the rest (and the sidecars) by Trivy.
    """
    if total <= 0:
        return []
    scanned = [i for i in images if i.team is None or src.chance(0.8)]
    weights = [min(src.rng.paretovariate(1.3), 40.0) for _ in scanned]
    counts = split_evenly(total, weights)
    pool = _cve_pool(src, max(3000, min(total // 8, 20000)))
    plans = []
    for image, count in zip(scanned, counts, strict=True):
        if count == 0:
            continue
        picks = [pool[i] for i in src.rng.sample(range(len(pool)), min(count, len(pool)))]
        while len(picks) < count:  # more records than the pool: same CVE, other layer paths
            picks.append(src.pick(pool))
        tool = "inspector" if image.team is not None and src.chance(0.5) else "trivy"
        plans.append((image, picks, tool))
    return plans
