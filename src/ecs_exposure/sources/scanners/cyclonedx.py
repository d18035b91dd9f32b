"""CycloneDX 1.4–1.7 JSON documents with ``vulnerabilities`` (a scanner's VDR, or a VEX).

The image comes from ``metadata.component`` (its ``pkg:oci`` purl carries the manifest digest
and repository; Trivy also adds ``RepoDigest``/``RepoTag`` properties). Each vulnerability is
read once per affected component. VEX analysis states ``not_affected``, ``false_positive``
and ``resolved`` suppress the match and the finding says so, with the justification. A VEX
published as its own document refers to components by BOM-Link (``urn:cdx:…#bom-ref``) or
purl; when neither resolves to a package, the statement covers the CVE in every package of
the image, so it still suppresses what Trivy or Inspector reported for that image.

Example (abridged)::

    {"bomFormat": "CycloneDX", "specVersion": "1.6",
     "metadata": {"component": {"type": "container", "name": "web",
       "purl": "pkg:oci/web@sha256%3A…?repository_url=public.ecr.aws%2Facme%2Fweb"}},
     "components": [{"bom-ref": "pkg:npm/jquery@3.3.9", "name": "jquery", "version": "3.3.9"}],
     "vulnerabilities": [{"id": "CVE-2019-11358", "ratings": [{"method": "CVSSv31",
        "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", "source": {"name": "nvd"}}],
       "analysis": {"state": "not_affected", "justification": "code_not_reachable"},
       "affects": [{"ref": "pkg:npm/jquery@3.3.9"}]}]}
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, unquote

from ecs_exposure.analysis.images.reference import (
    ImageRef,
    normalise_digest,
    parse_image,
    repository_of,
)
from ecs_exposure.analysis.vulnerabilities.cvss import CvssVector
from ecs_exposure.analysis.vulnerabilities.cvss import vector as shared_vector
from ecs_exposure.analysis.vulnerabilities.records import (
    SEVERITY_RANK,
    ImageIdentity,
    ImageReport,
    Origin,
    OsRelease,
    Vulnerability,
    canonical_id,
)
from ecs_exposure.sources.scanners.common import (
    array,
    as_object,
    is_malicious,
    member,
    number,
    object_list,
    objects,
    report_reader,
    severity,
    strings_at,
    text,
)

SCANNER = "CycloneDX"
WHAT = "CycloneDX document"
SUPPRESSING = frozenset({"not_affected", "false_positive", "resolved", "resolved_with_pedigree"})
_METHOD_PREFIX = {"cvssv3": "CVSS:3.0/", "cvssv31": "CVSS:3.1/", "cvssv4": "CVSS:4.0/"}
_UPGRADE = re.compile(r"\bto (?:version )?v?([0-9][\w.+:~-]*)\s*\.?$", re.IGNORECASE)
Component = tuple[str, str | None]
"""(package name, version)."""


def purl_parts(purl: str) -> tuple[str, str, str | None, dict[str, str]]:
    """``pkg:type/namespace/name@version?qualifiers`` → (type, name, version, qualifiers)."""
    body = purl.removeprefix("pkg:").split("#", 1)[0]
    body, _, query = body.partition("?")
    path, _, version = body.rpartition("@") if "@" in body.split("/", 1)[-1] else (body, "", "")
    kind, _, name = path.partition("/")
    qualifiers = {k: v[0] for k, v in parse_qs(query).items() if v}
    return kind.lower(), unquote(name), unquote(version) or None, qualifiers


def _image_from_purl(purl: str) -> tuple[ImageRef | None, str | None]:
    kind, name, version, qualifiers = purl_parts(purl)
    if kind not in ("oci", "docker"):
        return None, None
    digest = normalise_digest(version) if kind == "oci" else None
    repository = qualifiers.get("repository_url") or name
    tag = qualifiers.get("tag") or (version if kind == "docker" else None)
    ref = parse_image(f"{repository}:{tag}" if tag else repository)
    return ref, digest


def identity_of(doc: dict[str, Any]) -> ImageIdentity | None:
    """The container image ``metadata.component`` describes, if it describes one."""
    component = member(member(doc, "metadata", WHAT, ""), "component", WHAT, "/metadata")
    digests: set[str] = set()
    refs: list[ImageRef] = []
    purl = text(component.get("purl")) or text(component.get("bom-ref"))
    if purl and purl.startswith("pkg:"):
        ref, digest = _image_from_purl(purl)
        if ref is not None:
            refs.append(ref)
        if digest:
            digests.add(digest)
    for prop in object_list(component, "properties", WHAT, "/metadata/component"):
        name, value = text(prop.get("name")), text(prop.get("value"))
        if name and value and name.endswith(":RepoDigest"):
            ref = repository_of(value)
            if ref is not None and ref.digest:
                digests.add(ref.digest)
                refs.append(ref)
        elif name and value and name.endswith(":RepoTag"):
            tagged = parse_image(value)
            if tagged is not None:
                refs.append(tagged)
    if not refs and not digests and component.get("type") != "container":
        return None
    name = text(component.get("name"))
    if name and not refs:
        version = text(component.get("version"))
        untagged = ":" not in name.rsplit("/", 1)[-1] and "@" not in name
        ref = (parse_image(f"{name}:{version}") if version and untagged else None) \
            or parse_image(name)
        if ref is not None:
            refs.append(ref)
    if not refs and not digests:
        return None
    return ImageIdentity(frozenset(digests), tuple(dict.fromkeys(refs)),
                         name or (refs[0].full_name if refs else "unnamed image"))


def detect(doc: Any) -> bool:
    """A CycloneDX document with vulnerabilities about a container image."""
    return (isinstance(doc, dict) and doc.get("bomFormat") == "CycloneDX"
            and "vulnerabilities" in doc and identity_of(doc) is not None)


def _components(doc: dict[str, Any]) -> tuple[dict[str, Component], OsRelease | None]:
    index: dict[str, Component] = {}
    os_release: OsRelease | None = None
    stack = [(f"/components/{i}", c) for i, c in enumerate(array(doc, "components", WHAT, ""))]
    while stack:
        pointer, item = stack.pop()
        component = as_object(item, WHAT, pointer)
        nested = array(component, "components", WHAT, pointer)
        stack.extend((f"{pointer}/components/{i}", c) for i, c in enumerate(nested))
        name, version = text(component.get("name")), text(component.get("version"))
        if component.get("type") == "operating-system" and name and version:
            os_release = OsRelease(name.lower(), version)
            continue
        if name is None:
            continue
        group = text(component.get("group"))
        purl = text(component.get("purl")) or ""
        if group:
            name = f"{group}:{name}" if purl.startswith("pkg:maven") else f"{group}/{name}"
        for key in (text(component.get("bom-ref")), purl or None):
            if key:
                index[key] = (name, version)
    return index, os_release


def _resolve(ref: str, index: dict[str, Component]) -> Component | None:
    if ref in index:
        return index[ref]
    if ref.startswith("urn:cdx:"):  # BOM-Link from a separate VEX document
        fragment = unquote(ref.partition("#")[2])
        return _resolve(fragment, index) if fragment and not fragment.startswith("urn:") \
            else None
    if ref.startswith("pkg:"):
        kind, name, version, _ = purl_parts(ref)
        return package_name(kind, name), version
    return None


def package_name(kind: str, path: str) -> str:
    """A purl's namespace/name as scanners name the package: distributions drop the distro
    namespace (``pkg:deb/debian/zlib1g`` is ``zlib1g``), Maven joins group and artifact with a
    colon, npm keeps its ``@scope/``, Go keeps the whole module path."""
    namespace, _, name = path.rpartition("/")
    if not namespace or kind in ("golang", "npm", "generic"):
        return path
    if kind == "maven":
        return f"{namespace.replace('/', '.')}:{name}"
    return name


def _ratings(vuln: dict[str, Any], pointer: str) -> tuple[tuple[CvssVector, ...], str]:
    vectors: list[CvssVector] = []
    levels: list[str] = []
    for r_index, rating in objects(array(vuln, "ratings", WHAT, pointer), WHAT,
                                   f"{pointer}/ratings"):
        levels.append(severity(rating.get("severity")))
        vector = text(rating.get("vector"))
        if vector:
            method = (text(rating.get("method")) or "").lower()
            if not vector.upper().startswith("CVSS:") and method in _METHOD_PREFIX:
                vector = _METHOD_PREFIX[method] + vector
            rated_by = member(rating, "source", WHAT, f"{pointer}/ratings/{r_index}")
            source = (text(rated_by.get("name")) or "unknown").lower()
            vectors.append(shared_vector(vector, source, number(rating.get("score"))))
    ordered = [v for v in vectors if v.source != "nvd"] + [v for v in vectors if v.source == "nvd"]
    level = max(levels, key=lambda s: SEVERITY_RANK.get(s, 0), default="UNKNOWN")
    return tuple(ordered), level


def parse(doc: dict[str, Any], source: str) -> list[ImageReport]:
    """One report for the image, suppressions included."""
    identity = identity_of(doc)
    assert identity is not None  # detect() checked
    index, os_release = _components(doc)
    report = ImageReport(SCANNER, source, identity, os=os_release)
    for v_index, vuln in objects(array(doc, "vulnerabilities", WHAT, ""), WHAT,
                                 "/vulnerabilities"):
        pointer = f"/vulnerabilities/{v_index}"
        refs = object_list(vuln, "references", WHAT, pointer)
        vuln_id, aliases = canonical_id(text(vuln.get("id")) or "UNKNOWN",
                                        [i for r in refs if (i := text(r.get("id")))])
        cvss, level = _ratings(vuln, pointer)
        cwes = {f"CWE-{c}" for c in array(vuln, "cwes", WHAT, pointer) if isinstance(c, int)}
        analysis = member(vuln, "analysis", WHAT, pointer)
        state = (text(analysis.get("state")) or "").lower() or None
        justification = text(analysis.get("justification"))
        suppressed = None
        if state in SUPPRESSING:
            suppressed = f"VEX {state}" + (f": {justification}" if justification else "")
        responses = set(strings_at(analysis, "response", WHAT, f"{pointer}/analysis"))
        upgrade = _UPGRADE.search(text(vuln.get("recommendation")) or "")
        affects = list(objects(array(vuln, "affects", WHAT, pointer), WHAT,
                               f"{pointer}/affects")) or [(0, {})]
        for a_index, affected in affects:
            component = _resolve(text(affected.get("ref")) or "", index)
            unaffected = [text(v.get("version")) for v in object_list(
                affected, "versions", WHAT, f"{pointer}/affects/{a_index}")
                          if v.get("status") == "unaffected"]
            fixed_in = next((v for v in unaffected if v), None) or (
                upgrade.group(1) if upgrade else None)
            report.vulnerabilities.append(Vulnerability(
                id=vuln_id, package=component[0] if component else "", aliases=aliases,
                installed_version=component[1] if component else None, fixed_version=fixed_in,
                fix_available=True if fixed_in or "update" in responses else (
                    False if "can_not_fix" in responses else None),
                severity=level, cvss=cvss, epss=None, kev=False, exploit_available=None,
                malicious=is_malicious([vuln_id, *aliases], cwes), vex_state=state,
                suppressed=suppressed, origins=(Origin(SCANNER, source, pointer),),
                image=identity, score=cvss[0].score if cvss else None,
                vex_justification=justification,
            ))
    return [report]


read = report_reader(detect, parse)
"""The document reader of this format (see :mod:`ecs_exposure.sources.readers`)."""
