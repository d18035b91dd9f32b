"""The scan: run every detector over the Inventory once, then assess each service.

Task definitions and clusters are shared by many services, so their traits are computed once
and reused: the work is linear in the number of distinct resources.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from ecs_exposure.arn import last_segment
from ecs_exposure.detectors import registry
from ecs_exposure.detectors.registry import Context
from ecs_exposure.exposure import Subject, assess
from ecs_exposure.inventory import Inventory
from ecs_exposure.model import Finding, Incomplete, ScanResult, SourceError, Trait


def _task_definition_traits(inventory: Inventory) -> dict[str, tuple[Trait, ...]]:
    return {
        key: tuple(registry.run("task-definition", Context(
            inventory, key, td, inventory.sources.get(key))))
        for key, td in inventory.task_definitions.items()
    }


def _missing_for(inventory: Inventory, refs: list[str], keys: list[str]) -> list[str]:
    missing = [f"task definition {last_segment(r)}" for r in refs
               if inventory.resolve_task_definition(r) is None]
    for key in keys:
        for field_name in ("taskRoleArn", "executionRoleArn"):
            ref = inventory.task_definitions[key].get(field_name)
            if isinstance(ref, str) and ref and inventory.role(ref) is None:
                note = f"IAM role {last_segment(ref)} (permissions unknown)"
                if note not in missing:
                    missing.append(note)
    return missing


def scan_inventory(
    inventory: Inventory,
    *,
    errors: list[SourceError] | None = None,
    skipped: list[SourceError] | None = None,
    inputs: list[str] | None = None,
    on_service: Callable[[str], None] | None = None,
) -> ScanResult:
    """Evaluate every service and every task definition no service runs."""
    td_traits = _task_definition_traits(inventory)
    cluster_traits: dict[str, tuple[Trait, ...]] = {}
    findings: list[Finding] = []
    for key, service in inventory.services.items():
        if on_service is not None:
            on_service(key)
        cluster_name, cluster = inventory.cluster_of(service)
        if cluster is not None and cluster_name not in cluster_traits:
            cluster_key = str(cluster.get("clusterArn") or cluster_name)
            cluster_traits[cluster_name] = tuple(registry.run("cluster", Context(
                inventory, cluster_key, cluster, inventory.sources.get(cluster_key))))
        refs = inventory.service_task_definition_refs(service)
        keys = list(dict.fromkeys(k for r in refs if (k := inventory.resolve_task_definition(r))))
        traits: list[Trait] = list(registry.run("service", Context(
            inventory, key, service, inventory.sources.get(key))))
        for td_key in keys:
            traits.extend(td_traits[td_key])
        traits.extend(cluster_traits.get(cluster_name, ()))
        subject = Subject("AwsEcsService", key, str(service.get("serviceName") or
                                                     last_segment(key)),
                          cluster_name, tuple(keys), tuple(_missing_for(inventory, refs, keys)))
        finding = assess(subject, traits)
        if finding is not None and key in inventory.incomplete:
            finding = replace(finding, incomplete=tuple(inventory.incomplete[key]))
        if finding is not None:
            findings.append(finding)
    td_findings: list[Finding] = []
    for key in inventory.unattached_task_definitions():
        td = inventory.task_definitions[key]
        name = f"{td.get('family', last_segment(key))}" + (
            f":{td['revision']}" if isinstance(td.get("revision"), int) else "")
        subject = Subject("AwsEcsTaskDefinition", key, name, None, (key,),
                          tuple(_missing_for(inventory, [], [key])), unattached=True)
        finding = assess(subject, td_traits[key])
        if finding is not None:
            td_findings.append(finding)
    def order(finding: Finding) -> tuple[int, int, int, int, str, str]:
        weight = sum(1 for t in finding.traits if not registry.SPECS[t.id].contextual)
        return (-finding.severity, -finding.likelihood, -finding.impact, -weight,
                finding.cluster or "", finding.name)

    return ScanResult(
        findings=tuple(sorted(findings, key=order)),
        task_definition_findings=tuple(sorted(td_findings, key=order)),
        services=len(inventory.services),
        task_definitions=len(inventory.task_definitions),
        errors=tuple(list(errors or ()) + inventory.errors),
        skipped=tuple(skipped or ()),
        inputs=tuple(inputs or ()),
        generated_at=datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        incomplete=tuple(Incomplete(resource, tuple(reasons))
                         for resource, reasons in sorted(inventory.incomplete.items())),
    )
