"""The ASFF ``Vulnerabilities`` and ``Compliance`` blocks of a finding or posture entry.

``Vulnerabilities``: the finding's most urgent vulnerabilities (the JSON result's
``vulnerabilities.top``), each with what the result knows of it from the image's full record
(``images[image].vulnerabilities``): the CVE id and its aliases, the vulnerable package with its
installed and fixed versions, the CVSS base score and vector, the EPSS score, whether an exploit
is public and a fix available. A field the scanners did not give is left out, never guessed.

``Compliance``: every trait maps to the controls its spec names
(:attr:`~ecs_exposure.detectors.spec.TraitSpec.controls`, honouring a control's ``where``), so
a finding or posture entry carrying a trait *fails* them: ``Status: FAILED``, the first
Security Hub CSPM control as ``SecurityControlId`` (``ECS.4``), and every control, of every
framework, in ``RelatedRequirements`` (``Security Hub CSPM ECS.4``, ``NIST SP 800-190 4.4.3``).
``AssociatedStandards`` is left out: the catalog does not record which Security Hub standards
hold each control.
"""

from __future__ import annotations

from typing import Any

from ecs_exposure.detectors.registry import spec_for
from ecs_exposure.reporters.common import truncate

VULNERABILITIES_MAX = 25
RELATED_REQUIREMENTS_MAX = 32
"""Security Hub's documented limit on ``Compliance.RelatedRequirements``."""
TEXT_MAX = 1024
CSPM = "Security Hub CSPM"


def _text(value: Any) -> str | None:
    """A non-blank string (the API model's pattern ``.*\\S.*``), else ``None``."""
    text = str(value) if value is not None else ""
    return truncate(text, TEXT_MAX) if text.strip() else None


def _package(record: dict[str, Any]) -> dict[str, str] | None:
    package = {key: text for key, field in (("Name", "package"),
                                            ("Version", "installed_version"),
                                            ("FixedInVersion", "fixed_version"))
               if (text := _text(record.get(field))) is not None}
    return package if "Name" in package else None


def _cvss(record: dict[str, Any]) -> list[dict[str, Any]]:
    cvss = record.get("cvss") or {}
    vector, score = _text(cvss.get("vector")), record.get("score")
    if vector is None or not isinstance(score, int | float):
        return []
    entry: dict[str, Any] = {"BaseScore": float(score), "BaseVector": vector}
    for key, field in (("Version", "version"), ("Source", "source")):
        if (text := _text(cvss.get(field))) is not None:
            entry[key] = text
    return [entry]


def vulnerability(record: dict[str, Any]) -> dict[str, Any]:
    """One vulnerability record of the JSON result as an ASFF ``Vulnerability``."""
    entry: dict[str, Any] = {"Id": _text(record["id"]) or "unknown"}
    package = _package(record)
    if package is not None:
        entry["VulnerablePackages"] = [package]
    cvss = _cvss(record)
    if cvss:
        entry["Cvss"] = cvss
    aliases = [a for alias in record.get("aliases") or () if (a := _text(alias))]
    if aliases:
        entry["RelatedVulnerabilities"] = aliases
    if isinstance(record.get("epss"), int | float):
        entry["EpssScore"] = float(record["epss"])
    for key, field in (("ExploitAvailable", "exploit_available"),
                       ("FixAvailable", "fix_available")):
        if isinstance(record.get(field), bool):
            entry[key] = "YES" if record[field] else "NO"
    if (seen := _text(record.get("last_known_exploit"))) is not None:
        entry["LastKnownExploitAt"] = seen
    return entry


def vulnerabilities(finding: dict[str, Any], images: dict[str, Any]) -> list[dict[str, Any]]:
    """The finding's top vulnerabilities, with the full record of each from its image."""
    image_of: dict[str, str] = {}
    for container in finding["vulnerabilities"]["containers"]:
        image_of.setdefault(container["container"], container["image"])
    out: dict[str, dict[str, Any]] = {}
    for top in finding["vulnerabilities"]["top"]:
        records = (images.get(image_of.get(top.get("container"), "")) or {}).get(
            "vulnerabilities") or []
        record = next((r for r in records if r.get("id") == top["id"]
                       and r.get("package") == top.get("package")), top)
        out.setdefault(f"{top['id']}|{top.get('package')}", vulnerability(record))
    return list(out.values())[:VULNERABILITIES_MAX]


def compliance(traits: list[dict[str, Any]]) -> dict[str, Any] | None:
    """``Compliance`` failed on the controls the traits map to; ``None`` if they map to none."""
    controls = []
    for trait in sorted(traits, key=lambda t: bool(t["contextual"])):   # the exposure first
        for control in spec_for(trait["id"]).controls:
            if not control.where or trait["evidence"]["pointer"].startswith(control.where):
                controls.append(control)
    if not controls:
        return None
    block: dict[str, Any] = {"Status": "FAILED", "RelatedRequirements": list(dict.fromkeys(
        f"{c.framework} {c.id}" for c in controls))[:RELATED_REQUIREMENTS_MAX]}
    cspm = next((c for c in controls if c.framework == CSPM), None)
    if cspm is not None:
        block["SecurityControlId"] = cspm.id
    return block


__all__ = ["compliance", "vulnerabilities", "vulnerability"]
