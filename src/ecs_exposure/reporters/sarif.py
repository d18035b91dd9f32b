"""SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

One rule per trait of the catalog (generated from the trait specs and their remediation
guidance), one result per trait instance in a finding. A trait read from an input file points
at the exact line and column of the offending field (its JSON pointer resolved in the file); a
trait on a live resource, which has no file, is located logically by the resource's ARN.

Every weakness of the posture that no finding lists (a task definition no service runs that
only runs as root, a cluster without Container Insights) is a result too, once, marked
``posture`` in its properties: contextual traits at level ``note``, others at ``warning``,
with the trait's own severity.

GitHub reads a rule's ``security-severity`` (a CVSS-like number) to rank alerts. A trait has
no severity of its own — the exposure it takes part in does — so a rule's number is that of
the worst finding the trait appears in during this run, and each result carries its own
finding's severity as ``level`` and in its properties. Rules with no result fall back to
medium (low for contextual traits).

Example result (abridged)::

    {"ruleId": "privileged-container", "level": "error",
     "message": {"text": "container web runs privileged … (HIGH exposure: …)"},
     "locations": [{"physicalLocation": {
         "artifactLocation": {"uri": "ecs/task-definitions/web-7.json", "uriBaseId": "%SRCROOT%"},
         "region": {"startLine": 12, "startColumn": 23}},
       "logicalLocations": [{"fullyQualifiedName": "arn:aws:ecs:…:task-definition/web:7",
                             "kind": "resource"}]}]}
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson

from ecs_exposure import __version__
from ecs_exposure.analysis.arn import last_segment
from ecs_exposure.detectors.registry import TraitSpec, catalog
from ecs_exposure.model import ScanResult
from ecs_exposure.reporters import status
from ecs_exposure.reporters.base import writes_text
from ecs_exposure.reporters.common import SEVERITY_ORDER, all_findings, kind, urls
from ecs_exposure.reporters.context import ReportContext
from ecs_exposure.reporters.json_report import result_dict
from ecs_exposure.reporters.posture_view import KINDS, beyond_finding_dicts

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
SECURITY_SEVERITY = {"CRITICAL": 9.5, "HIGH": 8.0, "MEDIUM": 5.5, "LOW": 3.0,
                     "INFORMATIONAL": 0.0}
"""GitHub bands: ≥ 9.0 critical, 7.0–8.9 high, 4.0–6.9 medium, 0.1–3.9 low."""
LEVELS = {"CRITICAL": "error", "HIGH": "error", "MEDIUM": "warning", "LOW": "note",
          "INFORMATIONAL": "note"}


def _rule_name(trait_id: str) -> str:
    """SARIF rule names are identifier-like: ``privileged-container`` → ``PrivilegedContainer``."""
    return "".join(part.capitalize() for part in trait_id.split("-"))


def _help(spec: TraitSpec) -> tuple[str, str, list[str]]:
    """``(text, markdown, references)`` for a rule, from the trait's remediation guidance."""
    guidance = spec.guidance
    references = list(dict.fromkeys(spec.references + guidance.references))
    text = f"{spec.fires_when}\n\n{guidance.text()}"
    links = "\n".join(f"- {ref}" for ref in references)
    markdown = (f"**Fires when:** {spec.fires_when}\n\n**Why it matters:** {guidance.why}\n\n"
                f"**Fix:** {guidance.change}\n\n**If it is really needed:** {guidance.contain}"
                + (f"\n\n**References:**\n{links}" if links else ""))
    return text, markdown, references


def rules(worst: dict[str, str]) -> list[dict[str, Any]]:
    """One rule per trait in the catalog; ``worst`` maps trait id → worst finding severity."""
    out = []
    for spec in catalog():
        severity = worst.get(spec.id, "LOW" if spec.contextual else "MEDIUM")
        text, markdown, references = _help(spec)
        rule: dict[str, Any] = {
            "id": spec.id,
            "name": _rule_name(spec.id),
            "shortDescription": {"text": spec.title},
            "fullDescription": {"text": spec.fires_when},
            "help": {"text": text, "markdown": markdown},
            "defaultConfiguration": {"level": LEVELS[severity]},
            "properties": {
                "tags": ["security", "ecs", spec.category] + (["contextual"]
                                                              if spec.contextual else []),
                "security-severity": f"{SECURITY_SEVERITY[severity]:.1f}",
                "category": spec.category,
                "references": references,
            },
        }
        links = urls(references)
        if links:
            rule["helpUri"] = links[0]
        out.append(rule)
    return out


def artifact_location(file: str, root: Path) -> dict[str, Any]:
    """A file under ``root`` relative to ``%SRCROOT%`` (what GitHub expects), else a file URI."""
    path = Path(file).resolve()
    try:
        relative = path.relative_to(root)
    except ValueError:
        return {"uri": path.as_uri()}
    return {"uri": quote(relative.as_posix()), "uriBaseId": SRCROOT}


def _location(trait: dict[str, Any], root: Path) -> dict[str, Any]:
    evidence = trait["evidence"]
    location: dict[str, Any] = {"logicalLocations": [{
        "name": last_segment(trait["resource"]), "fullyQualifiedName": trait["resource"],
        "kind": "resource"}]}
    if evidence.get("file"):
        physical: dict[str, Any] = {"artifactLocation": artifact_location(evidence["file"], root)}
        position = evidence.get("location")
        if position:
            physical["region"] = {"startLine": position["line"],
                                  "startColumn": position["column"]}
        location["physicalLocation"] = physical
    return location


BASELINE_STATES = {"new": "new", "unchanged": "unchanged", "worse": "updated",
                   "better": "updated"}
"""Our baseline states as SARIF's ``baselineState`` (a severity change is an update)."""


def _config_location(rule: dict[str, Any], root: Path) -> dict[str, Any] | None:
    """Where a suppression is written in the config file."""
    if not rule.get("source"):
        return None
    physical: dict[str, Any] = {"artifactLocation": artifact_location(rule["source"], root)}
    if rule.get("line"):
        physical["region"] = {"startLine": rule["line"]}
    return {"physicalLocation": physical}


def _suppression(rule: dict[str, Any], root: Path) -> dict[str, Any]:
    """A config-file suppression as SARIF's: accepted, outside the analysed files."""
    entry: dict[str, Any] = {"kind": "external", "status": "accepted",
                             "justification": rule["reason"],
                             "properties": {key: rule[key] for key in ("owner", "expires")
                                            if rule.get(key)} | {"rule": rule["pointer"]}}
    location = _config_location(rule, root)
    if location is not None:
        entry["location"] = location
    return entry


def _result(finding: dict[str, Any], trait: dict[str, Any], rule_index: int,
            root: Path) -> dict[str, Any]:
    severity = finding["severity"]
    evidence = trait["evidence"]
    fingerprint = hashlib.sha256("|".join(
        (finding["id"], trait["id"], trait["resource"], evidence["pointer"])).encode()).hexdigest()
    result: dict[str, Any] = {
        "ruleId": trait["id"],
        "ruleIndex": rule_index,
        "level": "note" if trait["contextual"] else LEVELS[severity],
        "message": {"text": f"{evidence['detail']} (part of the {severity} exposure of "
                            f"{kind(finding)} {finding['resource']['name']}: {finding['title']})"},
        "locations": [_location(trait, root)],
        "partialFingerprints": {"ecsExposureTrait/v1": fingerprint[:32]},
        "properties": {
            "finding": finding["id"],
            "finding-severity": severity,
            "security-severity": f"{SECURITY_SEVERITY[severity]:.1f}",
            "resource": finding["resource"]["arn"],
            "pointer": evidence["pointer"],
            "contextual": trait["contextual"],
        },
    }
    rule = status.trait_suppression(finding, trait)
    if rule is not None:
        result["suppressions"] = [_suppression(rule, root)]
    if "baseline" in finding:
        result["baselineState"] = BASELINE_STATES[finding["baseline"]["state"]]
    return result


def _posture_result(entry: dict[str, Any], trait: dict[str, Any], rule_index: int,
                    root: Path) -> dict[str, Any]:
    """A weakness no finding lists (posture): contextual traits at ``note``, others at
    ``warning``, ranked by the trait's own severity."""
    severity = trait["severity"]
    evidence = trait["evidence"]
    resource = entry["resource"]
    fingerprint = hashlib.sha256("|".join(
        ("posture", entry["id"], trait["id"], trait["resource"],
         evidence["pointer"])).encode()).hexdigest()
    return {
        "ruleId": trait["id"],
        "ruleIndex": rule_index,
        "level": "note" if trait["contextual"] else "warning",
        "message": {"text": f"{evidence['detail']} (posture: {severity} weakness of "
                            f"{KINDS[resource['type']]} {resource['name']}, in no exposure "
                            "finding)"},
        "locations": [_location(trait, root)],
        "partialFingerprints": {"ecsExposureTrait/v1": fingerprint[:32]},
        "properties": {
            "posture": True,
            "posture-severity": severity,
            "security-severity": f"{SECURITY_SEVERITY[severity]:.1f}",
            "resource": resource["arn"],
            "pointer": evidence["pointer"],
            "contextual": trait["contextual"],
        },
    } | ({"suppressions": [_suppression(trait["suppressed_by"], root)]}
         if trait.get("suppressed_by") else {})


def _notifications(doc: dict[str, Any], root: Path) -> list[dict[str, Any]]:
    """Input errors and skipped files as tool notifications (messages are already masked)."""
    notes = []
    for level, key in (("error", "errors"), ("note", "skipped")):
        for item in doc[key]:
            notes.append({"level": level, "message": {"text": item["message"]},
                          "locations": [{"physicalLocation": {
                              "artifactLocation": artifact_location(item["source"], root)}}]})
    for rule in status.notable_rules(doc):
        if rule["state"] == "unused":     # expired ones are among the errors already
            location = _config_location(rule, root)
            notes.append({"level": "warning", "message": {"text": status.rule_problem(rule)}}
                         | ({"locations": [location]} if location else {}))
    return notes


def sarif_log(result: ScanResult, root: Path | None = None,
              context: ReportContext | None = None) -> dict[str, Any]:
    """The SARIF log; file locations are relative to ``root`` (default: the current folder)."""
    root = (root or Path.cwd()).resolve()
    doc = result_dict(result, context)
    findings = all_findings(doc)
    worst: dict[str, str] = {}
    for finding in findings:
        for trait in finding["traits"]:
            current = worst.get(trait["id"])
            if current is None or (SEVERITY_ORDER.index(finding["severity"])
                                   < SEVERITY_ORDER.index(current)):
                worst[trait["id"]] = finding["severity"]
    rule_list = rules(worst)
    index = {rule["id"]: i for i, rule in enumerate(rule_list)}
    results = [_result(f, t, index[t["id"]], root) for f in findings for t in f["traits"]]
    results += [_posture_result(entry, trait, index[trait["id"]], root)
                for entry, trait in beyond_finding_dicts(doc)]
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "ecs-exposure", "version": __version__,
                                "semanticVersion": __version__, "rules": rule_list}},
            "originalUriBaseIds": {SRCROOT: {"uri": root.as_uri().rstrip("/") + "/"}},
            "invocations": [{"executionSuccessful": True,
                             "endTimeUtc": doc["generated_at"],
                             "toolExecutionNotifications": _notifications(doc, root)}],
            "columnKind": "unicodeCodePoints",
            "results": results,
        } | ({"properties": {"baseline": {key: doc["baseline"][key] for key in
                                          ("source", "generated_at", "counts")}
                             | {"resolved": [p["id"] for p in doc["baseline"]["resolved"]]}}}
             if doc.get("baseline") else {})],
    }


def render(result: ScanResult, context: ReportContext | None = None) -> str:
    """The SARIF log as JSON text."""
    return orjson.dumps(sarif_log(result, context=context),
                        option=orjson.OPT_INDENT_2).decode() + "\n"


write = writes_text(render)
"""The reporter interface (:mod:`ecs_exposure.reporters.base`)."""
