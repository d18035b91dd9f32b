"""Grype JSON reports of container images (``grype IMAGE -o json``).

The image is identified by ``source.target``: ``manifestDigest`` and ``repoDigests`` (never
``imageID``, the config digest), ``tags`` and ``userInput``. Grype brings its own exploit
intelligence: ``knownExploited`` (CISA KEV) and ``epss``. When a match leads with an advisory
(GHSA, a distribution id) the CVE in ``relatedVulnerabilities`` becomes the id, so the same
flaw from Trivy or Inspector is counted once; related entries also supply the NVD vector when
the matched namespace gave none. ``ignoredMatches`` (ignore rules, VEX) are kept as suppressed.

Example (abridged)::

    {"matches": [{"vulnerability": {"id": "CVE-2023-44487", "severity": "High",
        "cvss": [{"source": "nvd@nist.gov", "vector": "CVSS:3.1/AV:N/…",
                  "metrics": {"baseScore": 7.5}}],
        "knownExploited": [{"cve": "CVE-2023-44487", "dateAdded": "2023-10-10"}],
        "epss": [{"cve": "CVE-2023-44487", "epss": 0.94, "percentile": 0.99}],
        "fix": {"versions": ["0.17.0"], "state": "fixed"}},
      "artifact": {"name": "golang.org/x/net", "version": "v0.7.0", "type": "go-module"}}],
     "source": {"type": "image",
                "target": {"userInput": "web:1.4.2", "manifestDigest": "sha256:…"}},
     "distro": {"name": "debian", "version": "12"}}
"""

from __future__ import annotations

from typing import Any

from ecs_exposure.analysis.images.reference import (
    normalise_digest,
)
from ecs_exposure.analysis.vulnerabilities.cvss import CvssVector
from ecs_exposure.analysis.vulnerabilities.cvss import vector as shared_vector
from ecs_exposure.analysis.vulnerabilities.records import (
    ImageIdentity,
    ImageReport,
    Origin,
    OsRelease,
    Vulnerability,
    canonical_id,
)
from ecs_exposure.sources.jsonfile import InputError
from ecs_exposure.sources.scanners.common import (
    array,
    image_identity,
    is_malicious,
    member,
    number,
    obj,
    object_list,
    objects,
    report_reader,
    severity,
    strings_at,
    text,
)

SCANNER = "Grype"
WHAT = "Grype report"
_NO_FIX = frozenset({"not-fixed", "wont-fix"})


def detect(doc: Any) -> bool:
    """``matches`` with Grype's ``descriptor``/``source``, scanning an image."""
    if not isinstance(doc, dict) or "matches" not in doc:
        return False
    if not any(key in doc for key in ("descriptor", "source", "distro", "ignoredMatches")):
        return False
    source_type = text(obj(doc.get("source")).get("type"))
    return source_type is None or source_type.lower() == "image"


def identity_of(doc: dict[str, Any]) -> ImageIdentity:
    """Manifest digests and references of ``source.target``."""
    target = member(member(doc, "source", WHAT, ""), "target", WHAT, "/source")
    manifest = normalise_digest(target.get("manifestDigest"))
    return image_identity(
        strings_at(target, "repoDigests", WHAT, "/source/target"),
        [*strings_at(target, "tags", WHAT, "/source/target"), target.get("userInput")],
        target.get("userInput"), [manifest] if manifest else ())


def _vectors(holder: dict[str, Any], fallback_source: str, pointer: str) -> list[CvssVector]:
    """The vectors of ``holder["cvss"]`` (a vulnerability or a related one)."""
    found = []
    for index, entry in enumerate(object_list(holder, "cvss", WHAT, pointer)):
        vector = text(entry.get("vector"))
        if vector:
            raw = (text(entry.get("source")) or fallback_source).lower()
            source = "nvd" if "nvd" in raw or raw.endswith("nist.gov") else raw
            metrics = member(entry, "metrics", WHAT, f"{pointer}/cvss/{index}")
            found.append(shared_vector(vector, source, number(metrics.get("baseScore"))))
    return found


def _record(match: dict[str, Any], pointer: str, source: str, image: ImageIdentity,
            suppressed: str | None = None, vex_state: str | None = None) -> Vulnerability:
    vuln = member(match, "vulnerability", WHAT, pointer)
    at_vuln = f"{pointer}/vulnerability"
    artifact = member(match, "artifact", WHAT, pointer)
    related = object_list(match, "relatedVulnerabilities", WHAT, pointer)
    raw_id = text(vuln.get("id")) or "UNKNOWN"
    vuln_id, aliases = canonical_id(raw_id, [i for r in related if (i := text(r.get("id")))])
    namespace = (text(vuln.get("namespace")) or "vendor").split(":", 1)[0]
    vendor = _vectors(vuln, namespace, at_vuln)
    nvd = [v for index, r in enumerate(related)
           for v in _vectors(r, "nvd", f"{pointer}/relatedVulnerabilities/{index}")]
    cvss = tuple(dict.fromkeys([v for v in vendor if v.source != "nvd"]
                               + [v for v in vendor + nvd if v.source == "nvd"]
                               + [v for v in nvd if v.source != "nvd"]))
    fix = member(vuln, "fix", WHAT, at_vuln)
    versions = strings_at(fix, "versions", WHAT, f"{at_vuln}/fix")
    state = (text(fix.get("state")) or "").lower()
    kev = object_list(vuln, "knownExploited", WHAT, at_vuln)
    epss = object_list(vuln, "epss", WHAT, at_vuln)
    top_epss = max(epss, key=lambda e: number(e.get("epss")) or 0.0, default={})
    cwes = {cwe.upper() for c in object_list(vuln, "cwes", WHAT, at_vuln)
            if (cwe := text(c.get("cwe")))}
    level = severity(vuln.get("severity"))
    if level == "UNKNOWN":
        level = next((s for r in related if (s := severity(r.get("severity"))) != "UNKNOWN"),
                     level)
    return Vulnerability(
        id=vuln_id, package=text(artifact.get("name")) or "", aliases=aliases,
        installed_version=text(artifact.get("version")),
        fixed_version=versions[0] if versions else None,
        fix_available=True if versions or state == "fixed" else (
            False if state in _NO_FIX else None),
        severity=level, cvss=cvss, epss=number(top_epss.get("epss")),
        epss_percentile=number(top_epss.get("percentile")), kev=bool(kev),
        kev_date_added=next((d for k in kev if (d := text(k.get("dateAdded")))), None),
        exploit_available=None, malicious=is_malicious([vuln_id, *aliases], cwes),
        vex_state=vex_state, suppressed=suppressed,
        origins=(Origin(SCANNER, source, pointer),), image=image,
        package_path=next((p for loc in object_list(artifact, "locations", WHAT,
                                                    f"{pointer}/artifact")
                           if (p := text(loc.get("path")))), None),
        score=cvss[0].score if cvss else None,
    )


def _ignored_reason(match: dict[str, Any], pointer: str) -> tuple[str, str | None]:
    rules = object_list(match, "appliedIgnoreRules", WHAT, pointer)
    rule = rules[0] if rules else {}
    vex = text(rule.get("vex-status"))
    reason = text(rule.get("reason")) or text(rule.get("vex-justification"))
    text_ = "ignored by a Grype " + ("VEX statement" if vex else "ignore rule")
    return (f"{text_} ({vex or ''}{': ' if vex and reason else ''}{reason or ''})"
            if vex or reason else text_), vex


def parse(doc: dict[str, Any], source: str) -> list[ImageReport]:
    """One report for the scanned image."""
    identity = identity_of(doc)
    if not identity.references and not identity.digests:
        raise InputError(f"{WHAT}: source.target names no image (userInput, tags or digests)")
    distro = member(doc, "distro", WHAT, "")
    name, version = text(distro.get("name")), text(distro.get("version"))
    report = ImageReport(SCANNER, source, identity,
                         os=OsRelease(name.lower(), version) if name and version else None)
    for index, match in objects(array(doc, "matches", WHAT, ""), WHAT, "/matches"):
        report.vulnerabilities.append(_record(match, f"/matches/{index}", source, identity))
    ignored = array(doc, "ignoredMatches", WHAT, "")
    for index, match in objects(ignored, WHAT, "/ignoredMatches"):
        reason, vex = _ignored_reason(match, f"/ignoredMatches/{index}")
        report.vulnerabilities.append(_record(match, f"/ignoredMatches/{index}", source,
                                              identity, suppressed=reason, vex_state=vex))
    return [report]


read = report_reader(detect, parse)
"""The document reader of this format (see :mod:`ecs_exposure.sources.readers`)."""
