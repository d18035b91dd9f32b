"""The JSON result, DESIGN §5: field names here are a public contract (add, never rename)."""

from __future__ import annotations

from typing import Any

import orjson

from ecs_exposure import __version__
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
        "remediation": guidance_for(trait.id).text(),
        "references": list(spec.references) + list(guidance_for(trait.id).references),
    }


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
        "remediation": {"summary": finding.remediation_summary, "task_definition": None},
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
            "incomplete": len(result.incomplete),
        },
        "findings": [finding_dict(f) for f in result.findings],
        "task_definition_findings": [finding_dict(f) for f in result.task_definition_findings],
        "errors": [error_dict(e) for e in result.errors],
        "skipped": [{"source": e.source, "message": mask(e.message)} for e in result.skipped],
        "inputs": list(result.inputs),
        "incomplete": [{"resource": i.resource, "reasons": list(i.reasons)}
                       for i in result.incomplete],
    }


def render(result: ScanResult) -> str:
    """Pretty JSON text; orjson escapes control characters, so hostile names stay inert."""
    return orjson.dumps(result_dict(result), option=orjson.OPT_INDENT_2).decode() + "\n"
