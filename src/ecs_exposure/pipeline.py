"""The scan: run every detector over the Inventory once, then assess each service.

Task definitions and clusters are shared by many services, so their traits are computed once
and reused: the work is linear in the number of distinct resources. A scan is a function of
its inventory and its :class:`~ecs_exposure.settings.ScanSettings`; what it derives on the way
is kept in one :class:`~ecs_exposure.settings.ScanMemo`, created here per scan.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC
from time import perf_counter

from ecs_exposure.analysis.allocation import bulk_allocation
from ecs_exposure.analysis.arn import last_segment
from ecs_exposure.analysis.shapes import as_list
from ecs_exposure.analysis.unknown import is_unknown
from ecs_exposure.analysis.vulnerabilities.store import VulnerabilityAssessor, assessor
from ecs_exposure.detectors import registry
from ecs_exposure.detectors.images import reports_covering
from ecs_exposure.detectors.registry import Context
from ecs_exposure.exposure import posture
from ecs_exposure.exposure import vulnerabilities as vuln_exposure
from ecs_exposure.exposure.assess import Subject, assess, draft_identities
from ecs_exposure.exposure.coverage import coverage
from ecs_exposure.exposure.unknowns import unknown_for, unknown_roles
from ecs_exposure.exposure.waivers import apply_exceptions
from ecs_exposure.inventory import Inventory
from ecs_exposure.model import (
    Finding,
    Incomplete,
    ScanResult,
    SourceError,
    Trait,
)
from ecs_exposure.remediation.fixed import FixedRevisions
from ecs_exposure.reporters.context import ReportContext
from ecs_exposure.settings import ScanMemo, ScanSettings
from ecs_exposure.sources.positions import PositionCache


def _task_definition_traits(inventory: Inventory, settings: ScanSettings,
                            memo: ScanMemo) -> dict[str, tuple[Trait, ...]]:
    return {
        key: tuple(registry.run("task-definition", Context(
            inventory, key, td, inventory.sources.get(key), settings=settings, memo=memo)))
        for key, td in inventory.task_definitions.items()
    }


def _missing_for(inventory: Inventory, refs: list[str], keys: list[str]) -> list[str]:
    missing = [f"task definition {last_segment(r)}" for r in refs
               if inventory.resolve_task_definition(r) is None]
    for key in keys:
        for field_name in ("taskRoleArn", "executionRoleArn"):
            ref = inventory.task_definitions[key].get(field_name)
            role = inventory.role(ref) if isinstance(ref, str) and ref else None
            if isinstance(ref, str) and ref and role is None:
                note = f"IAM role {last_segment(ref)} (permissions unknown)"
                if note not in missing:
                    missing.append(note)
            for attached in as_list((role or {}).get("AttachedManagedPolicies")):
                arn = attached.get("PolicyArn") if isinstance(attached, dict) else None
                if is_unknown(arn):
                    note = f"managed policy {arn} of IAM role {last_segment(str(ref))}"
                    if note not in missing:
                        missing.append(note)
    return missing


def unique(traits: list[Trait]) -> list[Trait]:
    """Drop repeats: two revisions of one service running the same image report the same
    repository weakness once, not twice."""
    seen: set[tuple[str, str, str, str | None, str]] = set()
    kept: list[Trait] = []
    for trait in traits:
        key = (trait.id, trait.resource, trait.pointer, trait.container, trait.detail)
        if key not in seen:
            seen.add(key)
            kept.append(trait)
    return kept


StageCallback = Callable[[str, float], None]
"""``(stage name, seconds)``: how the benchmark times the stages of a scan."""


def _evaluate_services(
    inventory: Inventory, settings: ScanSettings, td_traits: dict[str, tuple[Trait, ...]],
    on_service: Callable[[str], None] | None, memo: ScanMemo,
    own: dict[str, tuple[Trait, ...]],
) -> list[tuple[Subject, list[Trait]]]:
    """Every service with all its traits: its own (also kept in ``own``, for the posture),
    its revisions' and its cluster's."""
    cluster_traits: dict[str, tuple[Trait, ...]] = {}
    roles_by_keys: dict[tuple[str, ...], list[str]] = {}
    evaluated: list[tuple[Subject, list[Trait]]] = []
    for key, service in inventory.services.items():
        if on_service is not None:
            on_service(key)
        cluster_name, cluster = inventory.cluster_of(service)
        if cluster is not None and cluster_name not in cluster_traits:
            cluster_key = str(cluster.get("clusterArn") or cluster_name)
            cluster_traits[cluster_name] = tuple(registry.run("cluster", Context(
                inventory, cluster_key, cluster, inventory.sources.get(cluster_key),
                settings=settings, memo=memo)))
        refs = inventory.service_task_definition_refs(service)
        keys = list(dict.fromkeys(k for r in refs if (k := inventory.resolve_task_definition(r))))
        traits: list[Trait] = list(registry.run("service", Context(
            inventory, key, service, inventory.sources.get(key), settings=settings, memo=memo)))
        own[key] = tuple(traits)
        for td_key in keys:
            traits.extend(td_traits[td_key])
        traits.extend(cluster_traits.get(cluster_name, ()))
        traits = apply_exceptions(unique(traits), settings.policy, settings.today,
                                  (str(service.get("serviceName") or ""), key))
        roles = roles_by_keys.get(tuple(keys))
        if roles is None:  # services of one family share the revisions and their roles
            roles = roles_by_keys[tuple(keys)] = unknown_roles(inventory, keys)
        subject = Subject("AwsEcsService", key, str(service.get("serviceName") or
                                                     last_segment(key)),
                          cluster_name, tuple(keys),
                          tuple(_missing_for(inventory, refs, keys) + roles),
                          unknown=tuple(unknown_for(inventory, refs, keys, roles)))
        evaluated.append((subject, traits))
    return evaluated


def _evaluate_unattached(inventory: Inventory, settings: ScanSettings,
                         td_traits: dict[str, tuple[Trait, ...]],
                         ) -> list[tuple[Subject, list[Trait]]]:
    """Task definitions no service runs, evaluated on their own."""
    evaluated: list[tuple[Subject, list[Trait]]] = []
    keys = inventory.unattached_task_definitions()
    identities = draft_identities([(key, inventory.task_definitions[key]) for key in keys])
    for key in keys:
        td = inventory.task_definitions[key]
        name = f"{td.get('family', last_segment(key))}" + (
            f":{td['revision']}" if isinstance(td.get("revision"), int) else "")
        subject = Subject("AwsEcsTaskDefinition", key, name, None, (key,),
                          tuple(_missing_for(inventory, [], [key])
                                + unknown_roles(inventory, [key])), unattached=True,
                          unknown=tuple(unknown_for(inventory, [], [key])),
                          identity=identities[key])
        evaluated.append((subject, apply_exceptions(td_traits[key], settings.policy,
                                                    settings.today)))
    return evaluated


def _cluster_traits(inventory: Inventory, settings: ScanSettings, memo: ScanMemo
                    ) -> dict[str, tuple[Trait, ...]]:
    """Every cluster's traits, for the posture: a cluster no service of the inputs runs in
    (a template's cluster alone) has its weaknesses too. Keyed by inventory key; each is
    judged under the key a service's view of it uses (its ARN, else its name)."""
    judged = {}
    for key, cluster in inventory.clusters.items():
        name = str(cluster.get("clusterName") or last_segment(key))
        cluster_key = str(cluster.get("clusterArn") or name)
        judged[key] = tuple(registry.run("cluster", Context(
            inventory, cluster_key, cluster, inventory.sources.get(cluster_key),
            settings=settings, memo=memo)))
    return judged


def _order(finding: Finding) -> tuple[int, int, int, int, str, str]:
    weight = sum(1 for t in finding.traits if not registry.SPECS[t.id].contextual)
    return (-finding.severity, -finding.likelihood, -finding.impact, -weight,
            finding.cluster or "", finding.name)


def _assess_all(inventory: Inventory, judge: VulnerabilityAssessor,
                evaluated: list[tuple[Subject, list[Trait]]]) -> tuple[Finding, ...]:
    findings = []
    for subject, traits in evaluated:
        finding = assess(subject, traits)
        if finding is None:
            continue
        if subject.arn in inventory.incomplete:
            finding = replace(finding, incomplete=tuple(inventory.incomplete[subject.arn]))
        findings.append(_with_vulnerabilities(inventory, judge, finding))
    return tuple(sorted(findings, key=_order))


def _with_vulnerabilities(inventory: Inventory, judge: VulnerabilityAssessor,
                          finding: Finding) -> Finding:
    """Attach the per-container vulnerability lists the JSON result carries."""
    entries = vuln_exposure.container_vulnerabilities(inventory, judge,
                                                      finding.task_definitions)
    return replace(finding, vulnerabilities=entries) if entries else finding


def _locate_evidence(evaluated: list[tuple[Subject, list[Trait]]],
                     positions: PositionCache) -> None:
    """Start locating the line and column of every trait's evidence. On a large estate that
    means reading thousands of input files again, so it runs in a worker process while the
    exposure stage runs here; reporters collect the answers when they need them."""
    # A generator, not a set of pairs: on a 50,000-service estate that set and its sorted
    # copy are a hundred megabytes at the scan's peak; prefetch groups (and sorts) by file.
    positions.prefetch(((t.source, t.file_pointer) for _, traits in evaluated for t in traits
                        if t.source and t.file_pointer is not None), background=True)


def scan_inventory(
    inventory: Inventory,
    settings: ScanSettings,
    *,
    errors: list[SourceError] | None = None,
    skipped: list[SourceError] | None = None,
    inputs: list[str] | None = None,
    on_service: Callable[[str], None] | None = None,
    on_stage: StageCallback | None = None,
) -> ScanResult:
    """Evaluate every service and every task definition no service runs, judged by
    ``settings``; the result is data only (see :func:`scan_for_reports` for what reporters
    look up beside it).

    Two stages: the detectors (every trait of every resource, each shared resource once),
    then the exposure assessment of each service; ``on_stage`` is told how long each took.
    """
    result, _ = _scan(inventory, settings, ScanMemo(), None, errors, skipped, inputs,
                      on_service, on_stage, fixes=False)
    return result


def scan_for_reports(
    inventory: Inventory,
    settings: ScanSettings,
    *,
    locate_evidence: bool = False,
    errors: list[SourceError] | None = None,
    skipped: list[SourceError] | None = None,
    inputs: list[str] | None = None,
    on_service: Callable[[str], None] | None = None,
    on_stage: StageCallback | None = None,
) -> tuple[ScanResult, ReportContext]:
    """:func:`scan_inventory`, plus the :class:`ReportContext` its reporters need: each
    finding's fixed task definition, built on demand from this scan's inventory and memo, and
    the evidence positions. The caller owns the context and closes it when the reports are
    written.

    ``locate_evidence``: the caller will report evidence positions (a file report), so on a
    large estate they are located in a background worker while the exposure stage runs.
    """
    positions = PositionCache()
    result, fixes = _scan(inventory, settings, ScanMemo(),
                          positions if locate_evidence else None, errors, skipped, inputs,
                          on_service, on_stage, fixes=True)
    return result, ReportContext(fixes=fixes, positions=positions,
                                 changes=None if fixes is None else fixes.changes)


def _scan(
    inventory: Inventory, settings: ScanSettings, memo: ScanMemo,
    positions: PositionCache | None, errors: list[SourceError] | None,
    skipped: list[SourceError] | None, inputs: list[str] | None,
    on_service: Callable[[str], None] | None, on_stage: StageCallback | None, *, fixes: bool,
) -> tuple[ScanResult, FixedRevisions | None]:
    """The scan with its one memo; with ``positions``, evidence is located in the background
    once the detectors are done; with ``fixes``, the fixed revisions of the findings are
    prepared (built later, on demand, reusing the memo)."""
    with bulk_allocation():
        start = perf_counter()
        td_traits = _task_definition_traits(inventory, settings, memo)
        own: dict[str, tuple[Trait, ...]] = {}
        services = _evaluate_services(inventory, settings, td_traits, on_service, memo, own)
        unattached = _evaluate_unattached(inventory, settings, td_traits)
        if positions is not None:
            _locate_evidence(services + unattached, positions)
        detected = perf_counter()
        if on_stage is not None:
            on_stage("detectors", detected - start)
        judge = assessor(inventory.vulnerabilities, settings.epss_threshold, settings.today,
                         memo)
        findings = _assess_all(inventory, judge, services)
        task_definition_findings = _assess_all(inventory, judge, unattached)
        entries = posture.build(
            inventory, service_traits=own, task_definition_traits=td_traits,
            cluster_traits=_cluster_traits(inventory, settings, memo),
            findings=findings + task_definition_findings, policy=settings.policy,
            today=settings.today)
        result = ScanResult(
            findings=findings,
            task_definition_findings=task_definition_findings,
            services=len(inventory.services),
            task_definitions=len(inventory.task_definitions),
            errors=tuple(list(errors or ()) + inventory.errors),
            skipped=tuple(skipped or ()),
            inputs=tuple(inputs or ()),
            generated_at=settings.now.astimezone(UTC).replace(microsecond=0).isoformat()
            .replace("+00:00", "Z"),
            unscanned_images=vuln_exposure.unscanned_images(inventory, judge),
            intel=tuple(inventory.vulnerabilities.intel.sources),
            vulnerability_reports=len(inventory.vulnerabilities.reports),
            incomplete=tuple(Incomplete(resource, tuple(reasons))
                             for resource, reasons in sorted(inventory.incomplete.items())),
            posture=entries,
            coverage=coverage(inventory, settings.policy, reports_covering(inventory, memo)),
        )
        revisions = FixedRevisions(inventory, findings + task_definition_findings, memo) \
            if fixes else None
        if on_stage is not None:
            on_stage("exposure", perf_counter() - detected)
    return result, revisions
