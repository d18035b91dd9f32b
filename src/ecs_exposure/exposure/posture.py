"""Posture: every trait of every resource, whether or not it is part of an exposure.

Findings are the correlated exposures, one per service: a task definition that only runs as
root with a writable root filesystem, or a cluster without Container Insights, creates none,
because contextual traits never do. Posture lists them all, one entry per service, task
definition (run by a service or not) and cluster, so a user sees every weakness the detectors
found, in every format.

Nothing is detected twice and nothing big is copied: an entry holds the scan's own trait
objects (a task definition's traits are listed on its entry once, however many services run
it; a service's entry lists only its own traits and names the revisions it runs).

Severity of a trait listed alone (:func:`severity_of`), the rule ``--min-severity`` applies:

- a contextual trait is LOW (it never makes an exposure on its own);
- any other trait is MEDIUM;
- HIGH when the trait's spec weighs it high on its own (a network-exploitable vulnerability
  likely to be exploited, a malicious package) or when this instance was graded high impact
  (a way to the host, an administrative or escalating role, plaintext AWS keys: DESIGN §4);
- never CRITICAL: that takes a combination, which is what findings are for.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from functools import cache

from ecs_exposure.analysis.arn import last_segment, parse_arn
from ecs_exposure.analysis.images.policy import Policy
from ecs_exposure.detectors.registry import spec_for
from ecs_exposure.detectors.spec import TraitSpec
from ecs_exposure.exposure.assess import finding_id
from ecs_exposure.exposure.waivers import apply_exceptions, waived
from ecs_exposure.inventory import Inventory
from ecs_exposure.model import Finding, Level, PostureEntry, Severity, Trait

SERVICE = "AwsEcsService"
TASK_DEFINITION = "AwsEcsTaskDefinition"
CLUSTER = "AwsEcsCluster"
RESOURCE_TYPES = (SERVICE, TASK_DEFINITION, CLUSTER)
"""Posture entry types, in the order entries are listed."""

_WEIGHTS = {"low": Severity.LOW, "medium": Severity.MEDIUM, "high": Severity.HIGH}


def own_severity(spec: TraitSpec) -> Severity:
    """A trait's own severity, whatever the instance: its spec's ``weight``, else LOW for a
    contextual trait and MEDIUM otherwise (fixed per trait: SARIF rules rank by it)."""
    return _WEIGHTS[spec.weight] if spec.weight else (
        Severity.LOW if spec.contextual else Severity.MEDIUM)


@cache
def _own_severity_of(trait_id: str) -> Severity:
    """:func:`own_severity` by trait id (fixed per trait, and asked twice for each of a large
    posture's hundreds of thousands of traits)."""
    return own_severity(spec_for(trait_id))


def severity_of(trait: Trait) -> Severity:
    """The severity of one trait listed alone (the rule is in the module docstring)."""
    base = _own_severity_of(trait.id)
    return max(base, Severity.HIGH) if trait.impact >= Level.HIGH else base


def entry_severity(entry: PostureEntry) -> Severity:
    """The worst severity among an entry's traits."""
    return max((severity_of(t) for t in entry.traits), default=Severity.INFORMATIONAL)


class _Waivers:
    """Policy exceptions, applied to posture as the exposure stage applies them.

    An exception may name a service, so a shared task definition's or cluster's trait is kept
    while any service using it does not waive it (and, with no service, unless an exception
    without a service waives it).
    """

    def __init__(self, inventory: Inventory, policy: Policy, today: date) -> None:
        self.policy, self.today = policy, today
        self.active = bool(policy.active_exceptions(today))
        self.runners: dict[str, list[tuple[str, str]]] = {}
        if not self.active:
            return
        for key, service in inventory.services.items():
            names = (str(service.get("serviceName") or ""), key)
            cluster, _ = inventory.cluster_of(service)
            self.runners.setdefault(f"cluster:{cluster}", []).append(names)
            for ref in inventory.service_task_definition_refs(service):
                td_key = inventory.resolve_task_definition(ref)
                if td_key is not None:
                    self.runners.setdefault(td_key, []).append(names)

    def kept(self, traits: Sequence[Trait], runner_key: str | None = None,
             service: tuple[str, str] | None = None) -> tuple[Trait, ...]:
        if not self.active:
            return tuple(traits)
        if service is not None:
            return tuple(apply_exceptions(traits, self.policy, self.today, service))
        runners = self.runners.get(runner_key or "", [])
        if not runners:
            return tuple(apply_exceptions(traits, self.policy, self.today))
        return tuple(t for t in traits if any(
            waived(t, self.policy, self.today, names) is None for names in runners))


def _entry(kind: str, arn: str, name: str, cluster: str | None, traits: tuple[Trait, ...],
           findings: Mapping[str, str], task_definitions: tuple[str, ...] = ()
           ) -> PostureEntry:
    parsed = parse_arn(arn)
    account = parsed.account if parsed else None
    region = parsed.region if parsed else None
    return PostureEntry(id=finding_id(account, region, arn), resource_type=kind, arn=arn,
                        name=name, cluster=cluster, account=account, region=region,
                        traits=traits, task_definitions=task_definitions,
                        finding=findings.get(arn))


def _task_definition_name(key: str, td: Mapping[str, object]) -> str:
    revision = td.get("revision")
    return f"{td.get('family', last_segment(key))}" + (
        f":{revision}" if isinstance(revision, int) else "")


def build(
    inventory: Inventory,
    *,
    service_traits: Mapping[str, Sequence[Trait]],
    task_definition_traits: Mapping[str, Sequence[Trait]],
    cluster_traits: Mapping[str, Sequence[Trait]],
    findings: Iterable[Finding],
    policy: Policy,
    today: date,
) -> tuple[PostureEntry, ...]:
    """One entry per resource with any trait left after the policy's exceptions: services
    (their own traits), task definitions, then clusters, each in input order.

    ``service_traits``: each service's own traits (not its revisions' or its cluster's);
    ``cluster_traits``: by cluster inventory key, for every cluster in the inputs.
    """
    linked = {f.arn: f.id for f in findings}
    waivers = _Waivers(inventory, policy, today)
    entries: list[PostureEntry] = []
    for key, service in inventory.services.items():
        name = str(service.get("serviceName") or last_segment(key))
        traits = waivers.kept(service_traits.get(key, ()), service=(
            str(service.get("serviceName") or ""), key))
        if traits:
            cluster, _ = inventory.cluster_of(service)
            revisions = tuple(dict.fromkeys(
                k for r in inventory.service_task_definition_refs(service)
                if (k := inventory.resolve_task_definition(r))))
            entries.append(_entry(SERVICE, key, name, cluster, traits, linked, revisions))
    for key, td in inventory.task_definitions.items():
        traits = waivers.kept(task_definition_traits.get(key, ()), key)
        if traits:
            entries.append(_entry(TASK_DEFINITION, key, _task_definition_name(key, td), None,
                                  traits, linked))
    for key, cluster_data in inventory.clusters.items():
        name = str(cluster_data.get("clusterName") or last_segment(key))
        traits = waivers.kept(cluster_traits.get(key, ()), f"cluster:{name}")
        if traits:
            entries.append(_entry(CLUSTER, str(cluster_data.get("clusterArn") or key), name,
                                  name, traits, linked))
    return tuple(entries)


__all__ = ["CLUSTER", "RESOURCE_TYPES", "SERVICE", "TASK_DEFINITION", "build",
           "entry_severity", "severity_of"]
