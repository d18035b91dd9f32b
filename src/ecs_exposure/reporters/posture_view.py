"""The posture (every trait of every resource) as the formats show it: the JSON section and
summary, and the trait instances the finding-based formats have not shown yet.

Each trait of a posture entry is rendered with exactly the evidence, location and
remediation fields a finding's trait has (the JSON renderer's own trait view), plus its
severity listed alone (:func:`ecs_exposure.exposure.posture.severity_of`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ecs_exposure.exposure.posture import RESOURCE_TYPES, entry_severity, severity_of
from ecs_exposure.model import Finding, PostureEntry, ScanResult, Severity, Trait
from ecs_exposure.reporters import status

TraitDict = Callable[[Trait], dict[str, Any]]
SEVERITIES = (Severity.HIGH, Severity.MEDIUM, Severity.LOW)
"""The severities a trait listed alone can have (:func:`severity_of` never says CRITICAL)."""
KINDS = {"AwsEcsService": "service", "AwsEcsTaskDefinition": "task definition",
         "AwsEcsCluster": "cluster"}
"""Posture entry type → the word the tables use."""

TraitKey = tuple[str, str, str, str | None, str]


def trait_key(trait: Trait) -> TraitKey:
    """What makes two trait instances the same weakness (the scan's own de-duplication key)."""
    return (trait.id, trait.resource, trait.pointer, trait.container, trait.detail)


def dict_key(trait: dict[str, Any]) -> tuple[Any, ...]:
    """:func:`trait_key` of a trait as the JSON result renders it."""
    evidence = trait["evidence"]
    return (trait["id"], trait["resource"], evidence["pointer"], trait["container"],
            evidence["detail"])


def beyond_finding_dicts(doc: dict[str, Any]
                         ) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """:func:`beyond_findings` on the JSON result: ``(posture entry, trait)`` dicts."""
    seen = {dict_key(t) for key in ("findings", "task_definition_findings")
            for f in doc[key] for t in f["traits"]}
    for entry in doc["posture"]:
        for trait in entry["traits"]:
            if "listed_in" in trait:        # a reference to a finding's trait: shown there
                continue
            key = dict_key(trait)
            if key not in seen:
                seen.add(key)
                yield entry, trait


def entry_dict(entry: PostureEntry, trait_dict: TraitDict) -> dict[str, Any]:
    """One posture entry of the JSON result."""
    return {
        "id": entry.id,
        "resource": {"type": entry.resource_type, "arn": entry.arn, "name": entry.name,
                     "cluster": entry.cluster, "account": entry.account,
                     "region": entry.region},
        "severity": entry_severity(entry).name,
        "finding": entry.finding,
        "task_definitions": list(entry.task_definitions),
        "traits": [trait_dict(t) | status.trait_status(entry, i)
                   | {"severity": severity_of(t).name} for i, t in enumerate(entry.traits)],
        "status": entry.status,
    }


def summary(posture: Iterable[PostureEntry]) -> dict[str, Any]:
    """Counts for the result's summary: resources and traits, by severity and by type."""
    by_severity = {s.name: 0 for s in SEVERITIES}
    by_type = {t: 0 for t in RESOURCE_TYPES}
    resources = traits = 0
    for entry in posture:
        resources += 1
        by_type[entry.resource_type] = by_type.get(entry.resource_type, 0) + 1
        for trait in entry.traits:
            traits += 1
            by_severity[severity_of(trait).name] += 1
    return {"resources": resources, "traits": traits, "by_severity": by_severity,
            "by_type": by_type}


def shown_in(findings: Iterable[Finding]) -> set[TraitKey]:
    """The trait instances the findings list."""
    return {trait_key(t) for f in findings for t in f.traits}


def beyond_findings(result: ScanResult) -> Iterator[tuple[PostureEntry, Trait]]:
    """Posture trait instances no finding lists, each once (in posture order): what a
    finding-based format (SARIF, CSV) adds so every weakness is shown exactly once."""
    seen = shown_in(result.findings + result.task_definition_findings)
    for entry in result.posture:
        for trait in entry.traits:
            key = trait_key(trait)
            if key not in seen:
                seen.add(key)
                yield entry, trait


__all__ = ["KINDS", "SEVERITIES", "TraitDict", "beyond_finding_dicts", "beyond_findings",
           "dict_key", "entry_dict", "shown_in", "summary", "trait_key"]
