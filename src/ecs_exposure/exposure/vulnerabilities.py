"""How vulnerability traits move an exposure finding, and the vulnerability data a result
carries (per-container lists, top vulnerabilities, images nobody scanned).

Likelihood (DESIGN §4, with issue 4 where they differ):

- *very high*: a malicious package (its code runs in the container, no network path needed),
  or an internet-reachable (or potentially reachable) service with an exploitable
  vulnerability (network attack vector and KEV / public exploit / EPSS ≥ threshold);
- *high*: an internet-reachable service with another critical or high vulnerability, or an
  end-of-life OS whose new vulnerabilities are no longer even reported;
- *moderate*: an exploitable vulnerability with no network path from the internet. DESIGN §4
  calls a high-likelihood vulnerability "reachable only from inside the network" *high*; the
  issue says *moderate* for "no network path", and internal reachability is not modelled yet,
  so every service without an internet path gets *moderate* here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ecs_exposure.analysis.vulnerabilities.store import (
    AssessedVulnerability,
    ContainerVulnerabilities,
    UnscannedImage,
    VulnerabilityAssessor,
)
from ecs_exposure.detectors.util import container_name, containers
from ecs_exposure.detectors.vulnerabilities import END_OF_LIFE, EXPLOITABLE, MALICIOUS, SOFTWARE
from ecs_exposure.inventory import Inventory
from ecs_exposure.model import Level, Trait

PATH_STEPS = 3
"""Exploitable vulnerabilities named in an attack path (the finding's JSON lists them all)."""


def _facts(trait: Trait) -> dict[str, Any]:
    return dict(trait.extra)


def _severe(trait: Trait) -> bool:
    counts = _facts(trait).get("by_severity") or {}
    return bool(counts.get("critical") or counts.get("high"))


def likelihood(traits: Sequence[Trait], base: Level, reason: str,
               exposed: bool) -> tuple[Level, str]:
    """The base likelihood (from reachability and credentials), raised by vulnerabilities.

    ``exposed`` is true when a path from the internet exists or cannot be ruled out.
    """
    by_id: dict[str, list[Trait]] = {}
    for trait in traits:
        by_id.setdefault(trait.id, []).append(trait)
    raised: tuple[Level, str] | None = None
    if MALICIOUS.id in by_id:
        raised = (Level.VERY_HIGH, f"{by_id[MALICIOUS.id][0].detail}, whose code runs in the "
                  "container by design, with no network path needed")
    elif EXPLOITABLE.id in by_id and exposed:
        raised = (Level.VERY_HIGH, f"{reason}, and {by_id[EXPLOITABLE.id][0].detail}")
    elif exposed and (severe := [t for t in by_id.get(SOFTWARE.id, []) if _severe(t)]):
        raised = (Level.HIGH, f"{reason}, and {severe[0].detail}")
    elif exposed and END_OF_LIFE.id in by_id:
        raised = (Level.HIGH, f"{reason}, and {by_id[END_OF_LIFE.id][0].detail}, so its new "
                  "vulnerabilities are not fixed (nor always reported)")
    elif EXPLOITABLE.id in by_id:
        raised = (Level.MEDIUM, f"{by_id[EXPLOITABLE.id][0].detail}, but no path from the "
                  "internet to the service was found")
    if raised is None or raised[0] < base:
        return base, reason
    if raised[0] == base and EXPLOITABLE.id not in by_id and MALICIOUS.id not in by_id:
        return base, reason
    return raised


def label(summary: dict[str, Any]) -> str:
    """``CVE-… in pkg 1.2 (fixed in 1.3)`` from a trait's summary of one vulnerability."""
    text = f"{summary.get('id')} in {summary.get('package') or 'an unnamed package'}"
    if summary.get("installed_version"):
        text += f" {summary['installed_version']}"
    if summary.get("fixed_version"):
        text += f" (fixed in {summary['fixed_version']})"
    return text


def attack_steps(traits: Iterable[Trait]) -> list[str]:
    """Steps naming how the attacker gets code running in a container."""
    steps: list[str] = []
    for trait in traits:
        if trait.id == MALICIOUS.id:
            top = _facts(trait).get("top") or [{}]
            steps.append(f"malicious package {label(top[0])} in container {trait.container} "
                         "runs the attacker's code")
    named = 0
    for trait in traits:
        if trait.id != EXPLOITABLE.id:
            continue
        for summary in _facts(trait).get("top") or []:
            if named == PATH_STEPS:
                break
            why = ", ".join(summary.get("likely_because") or [])
            vector = summary.get("attack_vector") or "unknown (treated as network)"
            steps.append(f"exploit {label(summary)} in container {trait.container} "
                         f"(attack vector {vector}; {why})")
            named += 1
    return steps


def title_phrases(traits: Sequence[Trait]) -> list[str]:
    """Vulnerability phrases lead a title: they are why the finding is likely."""
    phrases: list[str] = []
    if any(t.id == MALICIOUS.id for t in traits):
        phrases.append("a malicious package")
    exploitable = [t for t in traits if t.id == EXPLOITABLE.id]
    if exploitable:
        top = (_facts(exploitable[0]).get("top") or [{}])[0]
        kind = "a known-exploited" if top.get("kev") else "an exploitable"
        phrases.append(f"{kind} vulnerability ({top.get('id')})")
    elif any(t.id == SOFTWARE.id and _severe(t) for t in traits):
        phrases.append("critical or high vulnerabilities")
    if any(t.id == END_OF_LIFE.id for t in traits):
        phrases.append("an end-of-life OS")
    return phrases


def container_vulnerabilities(inventory: Inventory, judge: VulnerabilityAssessor,
                              task_definitions: Iterable[str]) -> tuple[ContainerVulnerabilities,
                                                                        ...]:
    """The matched reports and vulnerabilities of every container the revisions run, as the
    scan's assessor (``judge``) weighed them."""
    if not inventory.vulnerabilities.reports:
        return ()
    found: dict[tuple[str, str], ContainerVulnerabilities] = {}
    for key in task_definitions:
        for index, container in containers(inventory.task_definitions[key]):
            image = container.get("image")
            name = container_name(container, index)
            if not isinstance(image, str) or (name, image) in found:
                continue
            assessment = judge.assess(image, inventory.running_digests(image))
            if assessment.matched_by is not None:
                found[(name, image)] = ContainerVulnerabilities(name, image, key, assessment)
    return tuple(found.values())


def top_vulnerabilities(entries: Iterable[ContainerVulnerabilities],
                        limit: int = 5) -> list[tuple[str, AssessedVulnerability]]:
    """The most urgent vulnerabilities across a finding's containers, with the container.

    Each image's list is already sorted most urgent first (by rank, id, package), so only the
    first ``limit`` of each can make the cut: the same answer as sorting every vulnerability
    of every container (the sort is stable), without sorting thousands per finding.
    """
    candidates = [(c.container, a) for c in entries
                  for a in c.assessment.vulnerabilities[:limit]]
    ranked = sorted(candidates, key=lambda pair: (pair[1].rank(), pair[1].record.id, pair[0]))
    return ranked[:limit]


def unscanned_images(inventory: Inventory,
                     judge: VulnerabilityAssessor) -> tuple[UnscannedImage, ...]:
    """Images services run (every running revision) that no report covers."""
    # Ordered sets (dicts): a sidecar image runs in thousands of services, and a list
    # membership test per service made this quadratic.
    usage: dict[str, tuple[dict[str, None], dict[str, None]]] = {}
    for service_key, service in inventory.services.items():
        service_name = str(service.get("serviceName") or service_key)
        for ref in inventory.service_task_definition_refs(service):
            key = inventory.resolve_task_definition(ref)
            if key is None:
                continue
            for index, container in containers(inventory.task_definitions[key]):
                image = container.get("image")
                if not isinstance(image, str):
                    continue
                if judge.assess(image, inventory.running_digests(image)).matched_by:
                    continue
                services, where = usage.setdefault(image, ({}, {}))
                services[service_name] = None
                where[f"{service_name}/{container_name(container, index)}"] = None
    return tuple(UnscannedImage(image, tuple(s), tuple(c)) for image, (s, c) in usage.items())
