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
    ImageRef,
    normalise_digest,
    parse_image,
    repository_of,
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
    is_malicious,
    number,
    obj,
    objects,
    report_reader,
    severity,
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
    target = obj(obj(doc.get("source")).get("target"))
    digests: set[str] = set()
    refs: list[ImageRef] = []
    manifest = normalise_digest(target.get("manifestDigest"))
    if manifest:
        digests.add(manifest)
    for entry in target.get("repoDigests") or []:
        ref = repository_of(entry) if isinstance(entry, str) else None
        if ref is not None and ref.digest:
            digests.add(ref.digest)
            refs.append(ref)
    for entry in [*(target.get("tags") or []), target.get("userInput")]:
        ref = parse_image(entry) if isinstance(entry, str) else None
        if ref is not None:
            refs.append(ref)
            if ref.digest:
                digests.add(ref.digest)
    label = text(target.get("userInput")) or (refs[0].full_name if refs else "unnamed image")
    return ImageIdentity(frozenset(digests), tuple(dict.fromkeys(refs)), label)


def _vectors(entries: Any, fallback_source: str) -> list[CvssVector]:
    found = []
    for entry in entries if isinstance(entries, list) else []:
        entry = obj(entry)
        vector = text(entry.get("vector"))
        if vector:
            raw = (text(entry.get("source")) or fallback_source).lower()
            source = "nvd" if "nvd" in raw or raw.endswith("nist.gov") else raw
            found.append(shared_vector(vector, source, number(obj(entry.get("metrics"))
                                                           .get("baseScore"))))
    return found


def _record(match: dict[str, Any], pointer: str, source: str, image: ImageIdentity,
            suppressed: str | None = None, vex_state: str | None = None) -> Vulnerability:
    vuln = obj(match.get("vulnerability"))
    artifact = obj(match.get("artifact"))
    related = [obj(r) for r in match.get("relatedVulnerabilities") or []] \
        if isinstance(match.get("relatedVulnerabilities"), list) else []
    raw_id = text(vuln.get("id")) or "UNKNOWN"
    vuln_id, aliases = canonical_id(raw_id, [i for r in related if (i := text(r.get("id")))])
    namespace = (text(vuln.get("namespace")) or "vendor").split(":", 1)[0]
    vendor = _vectors(vuln.get("cvss"), namespace)
    nvd = [v for r in related for v in _vectors(r.get("cvss"), "nvd")]
    cvss = tuple(dict.fromkeys([v for v in vendor if v.source != "nvd"]
                               + [v for v in vendor + nvd if v.source == "nvd"]
                               + [v for v in nvd if v.source != "nvd"]))
    fix = obj(vuln.get("fix"))
    versions = [v for v in fix.get("versions") or [] if isinstance(v, str)] \
        if isinstance(fix.get("versions"), list) else []
    state = (text(fix.get("state")) or "").lower()
    kev = [obj(k) for k in vuln.get("knownExploited") or []] \
        if isinstance(vuln.get("knownExploited"), list) else []
    epss = [obj(e) for e in vuln.get("epss") or []] if isinstance(vuln.get("epss"), list) else []
    top_epss = max(epss, key=lambda e: number(e.get("epss")) or 0.0, default={})
    cwes = {str(obj(c).get("cwe", "")).upper() for c in vuln.get("cwes") or []} \
        if isinstance(vuln.get("cwes"), list) else set()
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
        package_path=next((p for loc in artifact.get("locations") or []
                           if (p := text(obj(loc).get("path")))), None)
        if isinstance(artifact.get("locations"), list) else None,
        score=cvss[0].score if cvss else None,
    )


def _ignored_reason(match: dict[str, Any]) -> tuple[str, str | None]:
    rules = [obj(r) for r in match.get("appliedIgnoreRules") or []] \
        if isinstance(match.get("appliedIgnoreRules"), list) else []
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
    distro = obj(doc.get("distro"))
    name, version = text(distro.get("name")), text(distro.get("version"))
    report = ImageReport(SCANNER, source, identity,
                         os=OsRelease(name.lower(), version) if name and version else None)
    for index, match in objects(array(doc, "matches", WHAT, ""), WHAT, "/matches"):
        report.vulnerabilities.append(_record(match, f"/matches/{index}", source, identity))
    ignored = array(doc, "ignoredMatches", WHAT, "")
    for index, match in objects(ignored, WHAT, "/ignoredMatches"):
        reason, vex = _ignored_reason(match)
        report.vulnerabilities.append(_record(match, f"/ignoredMatches/{index}", source,
                                              identity, suppressed=reason, vex_state=vex))
    return [report]


read = report_reader(detect, parse)
"""The document reader of this format (see :mod:`ecs_exposure.sources.readers`)."""
