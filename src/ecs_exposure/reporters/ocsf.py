"""OCSF Detection Findings (class 2004), shaped like Security Hub's exposure findings.

Security Hub and Amazon Security Lake speak OCSF; Security Hub publishes its own exposure
findings as Detection Findings whose ``finding_info.analytic.name`` is ``Exposure`` and whose
``related_events[]`` are the contributing signals, each carrying its ``traits[]`` and the
resource it was seen on as an observable. Ours follow that shape, one finding per service (or
per task definition no service runs), so a Security Lake query written for Security Hub's
findings also finds ours.

A finding suppressed in the config file has ``status_id`` 3 (Suppressed) with its reasons as
the ``comment``; with ``--baseline``, a finding the baseline had is an Update (activity 2), and
each baseline finding this scan resolved is a Close (activity 3) with status Resolved.

The posture (every weakness of every service, task definition and cluster, contextual ones
included) follows as Compliance Findings (class 2003), one per weakness, as Security Hub CSPM
reports one control result per resource: ``compliance`` names the trait as the control, the
framework controls it maps to as ``requirements`` and ``standards``, status Fail;
``metadata.labels`` is ``["posture"]`` and ``finding_info.analytic.name`` ``Posture``, so they
are never read as exposure findings (Detection Findings), and ``unmapped.exposure_findings``
names the exposure findings that list the weakness, if any do.

The output is a JSON array of findings valid against OCSF 1.6.0 (the version Security Hub
supports) with the ``cloud`` profile; the tests validate it against the OCSF schema.

Example (abridged)::

    {"class_uid": 2004, "type_uid": 200401, "severity_id": 4, "severity": "High",
     "finding_info": {"analytic": {"name": "Exposure", ...},
                      "types": ["Exposure/Potential Impact/Privilege Escalation"],
                      "related_events": [{"uid": "…/privileged-container/1",
                                          "traits": [{"category": "Misconfiguration", ...}],
                                          "observables": [{"type_id": 10, "value": "arn:…"}]}]},
     "resources": [{"type": "AwsEcsService", "uid": "arn:aws:ecs:…:service/prod/web"}],
     "remediation": {"desc": "Register a new revision …", "references": ["https://…"]}}
"""

from __future__ import annotations

from typing import Any

import orjson

from ecs_exposure import __version__
from ecs_exposure.analysis.arn import parse_arn
from ecs_exposure.detectors.registry import spec_for
from ecs_exposure.model import ScanResult
from ecs_exposure.reporters import status
from ecs_exposure.reporters.base import writes_text
from ecs_exposure.reporters.common import all_findings, epoch_ms, urls
from ecs_exposure.reporters.context import ReportContext
from ecs_exposure.reporters.json_report import (
    EVERY_FIELD,
    POSTURE_IN_FULL,
    guidance_dict,
    result_dict,
)
from ecs_exposure.reporters.posture_view import dict_key

OCSF_VERSION = "1.6.0"
"""The OCSF version Security Hub documents support for."""
PRODUCT = {"name": "ecs-exposure", "vendor_name": "ecs-exposure", "uid": "ecs-exposure",
           "version": __version__}
SEVERITY_IDS = {"INFORMATIONAL": 1, "LOW": 2, "MEDIUM": 3, "HIGH": 4, "CRITICAL": 5}
IMPACT_IDS = {"low": 1, "medium": 2, "high": 3}
ACTIVITIES = {1: "Create", 2: "Update", 3: "Close"}
"""Detection Finding activities: a finding first seen, seen again, no longer seen."""
RESOURCE_UID = 10
"""OCSF observable ``type_id`` for "Resource UID"."""


def _types(finding: dict[str, Any]) -> list[str]:
    """``Exposure/Potential Impact/…`` for each kind of harm the finding's traits name (the
    specs' ``ocsf_impact``, as Security Hub writes them); with none, "Resource Hijacking"."""
    kinds = [kind for t in finding["traits"]
             if not t["contextual"] and (kind := spec_for(t["id"]).ocsf_impact)]
    return [f"Exposure/Potential Impact/{kind}"
            for kind in dict.fromkeys(kinds or ["Resource Hijacking"])]


def _related_event(finding: dict[str, Any], index: int, trait: dict[str, Any]) -> dict[str, Any]:
    """One contributing signal: the trait, its category and the resource it was seen on."""
    evidence = trait["evidence"]
    values = [evidence["detail"], f"pointer {evidence['pointer']}"]
    location = evidence.get("location")
    if location:
        values.append(f"{location['file']}:{location['line']}:{location['column']}")
    event: dict[str, Any] = {
        "uid": f"{finding['id']}/{trait['id']}/{index}",
        "title": trait["title"],
        "desc": evidence["detail"],
        "type": "Finding",
        "product": {"name": PRODUCT["name"], "uid": PRODUCT["uid"]},
        "traits": [{"uid": trait["id"], "name": trait["title"],
                    "category": trait["category"].capitalize(),
                    "type": "Contextual" if trait["contextual"] else "Contributing",
                    "values": values}],
        "tags": [{"name": trait["category"].capitalize(), "value": trait["title"]}],
        "observables": [{"name": "resource", "type": "Resource UID", "type_id": RESOURCE_UID,
                         "value": trait["resource"]}],
    }
    return event


def _attack_graph(finding: dict[str, Any]) -> dict[str, Any]:
    steps = finding["attack_path"]
    nodes = [{"uid": str(i), "name": step} for i, step in enumerate(steps)]
    edges = [{"uid": f"{i}-{i + 1}", "source": str(i), "target": str(i + 1),
              "relation": "reaches", "is_directed": True} for i in range(len(steps) - 1)]
    return {"uid": f"{finding['id']}/attack-path", "name": "Attack path", "is_directed": True,
            "nodes": nodes, "edges": edges}


def _resource(finding: dict[str, Any]) -> dict[str, Any]:
    resource = finding["resource"]
    arn = parse_arn(resource["arn"])
    details: dict[str, Any] = {"type": resource["type"], "uid": resource["arn"],
                               "name": resource["name"]}
    if resource["region"]:
        details["region"] = resource["region"]
    if arn is not None:
        details["cloud_partition"] = arn.partition
    if resource["cluster"]:
        details["group"] = {"name": resource["cluster"]}
    details["data"] = {"task_definitions": finding["task_definitions"]}
    return details


def _cloud(finding: dict[str, Any]) -> dict[str, Any]:
    resource = finding["resource"]
    cloud: dict[str, Any] = {"provider": "AWS"}
    if resource["region"]:
        cloud["region"] = resource["region"]
    if resource["account"]:
        cloud["account"] = {"uid": resource["account"], "type": "AWS Account", "type_id": 10}
    return cloud


def detection_finding(finding: dict[str, Any], generated_at: str) -> dict[str, Any]:
    """One finding of the JSON result as an OCSF Detection Finding."""
    time = epoch_ms(generated_at)
    severity = finding["severity"]
    events = [_related_event(finding, i, t) for i, t in enumerate(finding["traits"], start=1)]
    references = urls(ref for trait in finding["traits"]
                      for ref in guidance_dict(trait["id"])["references"])
    observed = dict.fromkeys([finding["resource"]["arn"]] + [t["resource"]
                                                             for t in finding["traits"]])
    entry = {
        "activity_id": 1, "activity_name": "Create",
        "category_uid": 2, "category_name": "Findings",
        "class_uid": 2004, "class_name": "Detection Finding",
        "type_uid": 200401, "type_name": "Detection Finding: Create",
        "severity_id": SEVERITY_IDS[severity], "severity": severity.capitalize(),
        "status_id": 1, "status": "New",
        "impact_id": IMPACT_IDS[finding["impact"]], "impact": finding["impact"].capitalize(),
        "time": time,
        "message": finding["title"],
        "cloud": _cloud(finding),
        "metadata": {"version": OCSF_VERSION, "product": dict(PRODUCT), "profiles": ["cloud"],
                     "uid": finding["id"]},
        "finding_info": {
            "uid": finding["id"],
            "title": finding["title"],
            "desc": finding["why"],
            "types": _types(finding),
            "analytic": {"name": "Exposure", "type": "Rule", "type_id": 1,
                         "uid": "ecs-exposure/exposure", "version": __version__},
            "created_time": time,
            "related_events": events,
            "related_events_count": len(events),
            "attack_graph": _attack_graph(finding),
        },
        "resources": [_resource(finding)],
        "observables": [{"name": "resource", "type": "Resource UID", "type_id": RESOURCE_UID,
                         "value": uid} for uid in observed],
        "remediation": {"desc": finding["remediation"]["summary"], "references": references},
        "unmapped": {"likelihood": finding["likelihood"], "reachability": finding["reachability"],
                     "missing_inputs": finding["missing"]},
    }
    _mark(entry, finding)
    return entry


def _activity(entry: dict[str, Any], activity_id: int) -> None:
    name = ACTIVITIES[activity_id]
    entry.update(activity_id=activity_id, activity_name=name,
                 type_uid=2004 * 100 + activity_id, type_name=f"Detection Finding: {name}")


def _mark(entry: dict[str, Any], finding: dict[str, Any]) -> None:
    """Suppression (``status_id`` Suppressed, the reasons as the comment) and the baseline (a
    finding the baseline had is an Update, not a Create)."""
    if finding.get("status") == "suppressed":
        entry.update(status_id=3, status="Suppressed",
                     comment=status.finding_reasons(finding))
    muted = [t["id"] for t in finding["traits"] if t.get("status") == "suppressed"]
    if muted:
        entry["unmapped"]["suppressed_traits"] = list(dict.fromkeys(muted))
    if "baseline" in finding:
        entry["unmapped"]["baseline"] = finding["baseline"]
        if finding["baseline"]["state"] != "new":
            _activity(entry, 2)


def closed_finding(previous: dict[str, Any], generated_at: str) -> dict[str, Any]:
    """A baseline finding this scan no longer finds: a Close activity, status Resolved."""
    time = epoch_ms(generated_at)
    resource = previous["resource"]
    entry: dict[str, Any] = {
        "category_uid": 2, "category_name": "Findings",
        "class_uid": 2004, "class_name": "Detection Finding",
        "severity_id": SEVERITY_IDS[previous["severity"]],
        "severity": previous["severity"].capitalize(),
        "status_id": 4, "status": "Resolved",
        "time": time,
        "message": previous["title"],
        "cloud": _cloud(previous),
        "metadata": {"version": OCSF_VERSION, "product": dict(PRODUCT), "profiles": ["cloud"],
                     "uid": previous["id"]},
        "finding_info": {
            "uid": previous["id"], "title": previous["title"],
            "analytic": {"name": "Exposure", "type": "Rule", "type_id": 1,
                         "uid": "ecs-exposure/exposure", "version": __version__},
            "modified_time": time},
        "resources": [{"type": resource["type"], "uid": resource["arn"],
                       "name": resource["name"]}
                      | ({"region": resource["region"]} if resource["region"] else {})],
        "unmapped": {"baseline": {"state": "resolved"}, "traits": previous["traits"]},
    }
    _activity(entry, 3)
    return entry


POSTURE_LABEL = "posture"
"""``metadata.labels`` of a posture Compliance Finding: not an exposure finding."""
STANDARDS = {"Security Hub CSPM": "AWS Security Hub CSPM",
             "AWS Well-Architected": "AWS Well-Architected Framework",
             "NIST SP 800-190": "NIST SP 800-190"}


def _posture_resources(entry: dict[str, Any], trait: dict[str, Any]) -> list[dict[str, Any]]:
    """The posture entry's resource, then the trait's own when it differs (a security group,
    a role's policy)."""
    resource = entry["resource"]
    details: dict[str, Any] = {"type": resource["type"], "uid": resource["arn"],
                               "name": resource["name"]}
    if resource["region"]:
        details["region"] = resource["region"]
    if resource["cluster"]:
        details["group"] = {"name": resource["cluster"]}
    if entry["task_definitions"]:
        details["data"] = {"task_definitions": entry["task_definitions"]}
    found = [details]
    if trait["resource"] != resource["arn"]:
        found.append({"uid": trait["resource"]})
    return found


def compliance_finding(entry: dict[str, Any], index: int, trait: dict[str, Any],
                       generated_at: str, listed_in: list[str]) -> dict[str, Any]:
    """One weakness of one posture entry as an OCSF Compliance Finding (status Fail);
    ``listed_in``: the exposure findings whose traits include it."""
    time = epoch_ms(generated_at)
    spec = spec_for(trait["id"])
    uid = f"{entry['id']}/{trait['id']}/{index}"
    evidence = trait["evidence"]
    severity = trait["severity"]
    compliance: dict[str, Any] = {
        "control": trait["id"], "desc": spec.fires_when, "status_id": 3, "status": "Fail",
        "category": trait["category"].capitalize()}
    if spec.controls:
        compliance["requirements"] = list(dict.fromkeys(c.id for c in spec.controls))
        compliance["standards"] = list(dict.fromkeys(STANDARDS[c.framework]
                                                     for c in spec.controls))
    location = evidence.get("location")
    entry_out: dict[str, Any] = {
        "activity_id": 1, "activity_name": "Create",
        "category_uid": 2, "category_name": "Findings",
        "class_uid": 2003, "class_name": "Compliance Finding",
        "type_uid": 200301, "type_name": "Compliance Finding: Create",
        "severity_id": SEVERITY_IDS[severity], "severity": severity.capitalize(),
        "status_id": 1, "status": "New",
        "time": time,
        "message": f"{trait['title']}: {evidence['detail']}",
        "cloud": _cloud(entry),
        "metadata": {"version": OCSF_VERSION, "product": dict(PRODUCT), "profiles": ["cloud"],
                     "uid": uid, "labels": [POSTURE_LABEL]},
        "finding_info": {
            "uid": uid, "title": trait["title"], "desc": evidence["detail"],
            "types": [f"Posture/{trait['category'].capitalize()}"],
            "analytic": {"name": "Posture", "type": "Rule", "type_id": 1,
                         "uid": f"ecs-exposure/posture/{trait['id']}",
                         "version": __version__},
            "created_time": time},
        "compliance": compliance,
        "resources": _posture_resources(entry, trait),
        "observables": [{"name": "resource", "type": "Resource UID",
                         "type_id": RESOURCE_UID, "value": uid_value}
                        for uid_value in dict.fromkeys([entry["resource"]["arn"],
                                                        trait["resource"]])],
        "remediation": {"desc": trait["remediation"],
                        "references": urls(guidance_dict(trait["id"])["references"])},
        "unmapped": {"posture": True, "contextual": trait["contextual"],
                     "container": trait["container"], "pointer": evidence["pointer"],
                     "location": location, "exposure_findings": listed_in},
    }
    rule = status.trait_suppression(entry, trait)
    if rule is not None:
        entry_out.update(status_id=3, status="Suppressed", comment=status.rule_note(rule))
    return entry_out


def posture_findings(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Every weakness of the posture as a Compliance Finding, in posture order."""
    listed: dict[tuple[Any, ...], list[str]] = {}
    for finding in all_findings(doc):
        for trait in finding["traits"]:
            ids = listed.setdefault(dict_key(trait), [])
            if finding["id"] not in ids:
                ids.append(finding["id"])
    return [compliance_finding(entry, index, trait, doc["generated_at"],
                               listed.get(dict_key(trait), []))
            for entry in doc["posture"]
            for index, trait in enumerate(entry["traits"], start=1)]


def findings(result: ScanResult, context: ReportContext | None = None) -> list[dict[str, Any]]:
    """Every finding of the scan as an OCSF Detection Finding, then the posture's weaknesses
    as Compliance Findings."""
    doc = result_dict(result, context, include=EVERY_FIELD | {POSTURE_IN_FULL})
    resolved = (doc.get("baseline") or {"resolved": []})["resolved"]
    return ([detection_finding(f, doc["generated_at"]) for f in all_findings(doc)]
            + [closed_finding(p, doc["generated_at"]) for p in resolved]
            + posture_findings(doc))


def render(result: ScanResult, context: ReportContext | None = None) -> str:
    """A JSON array of Detection Findings (what Security Lake custom sources ingest)."""
    return orjson.dumps(findings(result, context), option=orjson.OPT_INDENT_2).decode() + "\n"


write = writes_text(render)
"""The reporter interface (:mod:`ecs_exposure.reporters.base`)."""
