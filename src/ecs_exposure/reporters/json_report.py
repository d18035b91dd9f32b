"""The JSON result, DESIGN §5: field names here are a public contract (add, never rename)."""

from __future__ import annotations

from functools import cache
from typing import Any

import orjson

from ecs_exposure import __version__
from ecs_exposure.collector import no_cycle_collection
from ecs_exposure.detectors.registry import SPECS
from ecs_exposure.detectors.secrets import mask
from ecs_exposure.model import (
    IMPACT_NAMES,
    LIKELIHOOD_NAMES,
    Finding,
    ScanResult,
    Severity,
    SourceError,
    Trait,
)
from ecs_exposure.remediation.guidance import guidance_for
from ecs_exposure.sources.positions import locate
from ecs_exposure.vuln_exposure import top_vulnerabilities
from ecs_exposure.vuln_store import ContainerVulnerabilities, ImageAssessment

SCHEMA = "ecs-exposure/result@1"
REPORTED = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW)


def trait_dict(trait: Trait) -> dict[str, Any]:
    """One trait with its evidence and remediation."""
    spec = SPECS[trait.id]
    evidence: dict[str, Any] = {"pointer": trait.pointer, "detail": trait.detail}
    if trait.source:
        evidence["file"] = trait.source
        if trait.file_pointer is not None:
            evidence["file_pointer"] = trait.file_pointer
            position = locate(trait.source, trait.file_pointer)
            if position is not None:
                evidence["location"] = {"file": trait.source, "line": position.line,
                                        "column": position.column}
    if trait.extra:
        evidence["facts"] = {key: value for key, value in trait.extra}
    if trait.path:
        evidence["path"] = list(trait.path)
    if trait.potential:
        evidence["potential"] = True
        evidence["missing"] = list(trait.missing)
    return {
        "id": trait.id,
        "category": spec.category,
        "title": spec.title,
        "contextual": spec.contextual,
        "resource": trait.resource,
        "container": trait.container,
        "evidence": evidence,
        "remediation": _remediation(trait.id),
        "references": list(_references(trait.id)),
    }


@cache
def _remediation(trait_id: str) -> str:
    """The guidance paragraph of a trait (the same text for each of its instances)."""
    return guidance_for(trait_id).text()


@cache
def _references(trait_id: str) -> tuple[str, ...]:
    return SPECS[trait_id].references + guidance_for(trait_id).references


def _image_summary(found: ImageAssessment) -> dict[str, Any]:
    by_severity: dict[str, int] = {}
    for item in found.vulnerabilities:
        by_severity[item.record.severity] = by_severity.get(item.record.severity, 0) + 1
    return {
        "matched_by": found.matched_by,
        "reports": list(found.reports),
        "os": None if found.os is None else {
            "family": found.os.family, "version": found.os.version,
            "end_of_life": found.end_of_life},
        "counts": {
            "total": len(found.vulnerabilities),
            "exploitable": sum(1 for v in found.vulnerabilities if v.exploitable),
            "fixable": sum(1 for v in found.vulnerabilities if v.record.fix_available),
            "by_severity": by_severity,
            "suppressed": len(found.suppressed),
        },
    }


def container_vulnerabilities_dict(entry: ContainerVulnerabilities) -> dict[str, Any]:
    """One container's image, how it was matched and its counts; the full list of the image's
    vulnerabilities is under the result's ``images[image]`` (listed once per image, however
    many containers run it, so the result stays linear in the number of records)."""
    return {"container": entry.container, "image": entry.image,
            "task_definition": entry.task_definition, **_image_summary(entry.assessment)}


def images_dict(findings: tuple[Finding, ...]) -> dict[str, Any]:
    """Every vulnerability of every image a finding's container runs, suppressed ones apart."""
    images: dict[str, Any] = {}
    for finding in findings:
        for entry in finding.vulnerabilities:
            if entry.image not in images:
                found = entry.assessment
                images[entry.image] = {
                    **_image_summary(found),
                    "vulnerabilities": [v.as_dict() for v in found.vulnerabilities],
                    "suppressed": [v.as_dict() for v in found.suppressed],
                }
    return images


def finding_dict(finding: Finding) -> dict[str, Any]:
    """One exposure finding."""
    return {
        "id": finding.id,
        "resource": {
            "type": finding.resource_type,
            "arn": finding.arn,
            "name": finding.name,
            "cluster": finding.cluster,
            "account": finding.account,
            "region": finding.region,
        },
        "severity": finding.severity.name,
        "likelihood": LIKELIHOOD_NAMES[finding.likelihood],
        "impact": IMPACT_NAMES[finding.impact],
        "why": finding.why,
        "title": finding.title,
        "reachability": finding.reachability,
        "missing": list(finding.missing),
        "task_definitions": list(finding.task_definitions),
        "traits": [trait_dict(t) for t in finding.traits],
        "attack_path": list(finding.attack_path),
        "remediation": {"summary": finding.remediation_summary,
                        "task_definition": finding.fixed_task_definition},
        "vulnerabilities": {
            "top": [{"container": container, **item.summary()}
                    for container, item in top_vulnerabilities(finding.vulnerabilities)],
            "containers": [container_vulnerabilities_dict(e) for e in finding.vulnerabilities],
        },
        "incomplete": list(finding.incomplete),
    }


def error_dict(error: SourceError) -> dict[str, Any]:
    """One input or collection problem; AWS errors also say where and which call failed."""
    entry: dict[str, Any] = {"source": error.source, "message": mask(error.message)}
    for key in ("account", "region", "operation"):
        if getattr(error, key) is not None:
            entry[key] = getattr(error, key)
    return entry


def result_dict(result: ScanResult) -> dict[str, Any]:
    """The whole result object."""
    by_severity = {s.name: 0 for s in REPORTED}
    for finding in result.findings:
        by_severity[finding.severity.name] += 1
    return {
        "schema": SCHEMA,
        "generated_at": result.generated_at,
        "tool": {"name": "ecs-exposure", "version": __version__},
        "summary": {
            "services": result.services,
            "findings": len(result.findings),
            "by_severity": by_severity,
            "task_definitions": result.task_definitions,
            "task_definition_findings": len(result.task_definition_findings),
            "vulnerability_reports": result.vulnerability_reports,
            "unscanned_images": len(result.unscanned_images),
            "incomplete": len(result.incomplete),
        },
        "findings": [finding_dict(f) for f in result.findings],
        "task_definition_findings": [finding_dict(f) for f in result.task_definition_findings],
        "errors": [error_dict(e) for e in result.errors],
        "skipped": [{"source": e.source, "message": mask(e.message)} for e in result.skipped],
        "inputs": list(result.inputs),
        "images": images_dict(result.findings + result.task_definition_findings),
        "unscanned_images": [{"image": u.image, "services": list(u.services),
                              "containers": list(u.containers)}
                             for u in result.unscanned_images],
        "intel": [{"kind": i.kind, "source": i.source, "version": i.version, "date": i.date,
                   "count": i.count} for i in result.intel],
        "incomplete": [{"resource": i.resource, "reasons": list(i.reasons)}
                       for i in result.incomplete],
    }


def render_bytes(result: ScanResult) -> bytes:
    """Pretty JSON as UTF-8 bytes; orjson escapes control characters, so hostile names stay
    inert.

    The result tree has no reference cycles, so the cycle collector is paused while it is
    built: on large estates its repeated walks over the growing tree cost seconds."""
    with no_cycle_collection():
        return orjson.dumps(result_dict(result), option=orjson.OPT_INDENT_2) + b"\n"


def render(result: ScanResult) -> str:
    """The same JSON as text, for callers that want a string."""
    return render_bytes(result).decode()
