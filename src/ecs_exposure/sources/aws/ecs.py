"""ECS: clusters, services, the task definition revisions they run, and their running tasks.

Calls per region (C clusters, S_c services in cluster c, T distinct task definition revisions
referenced by services and deployments, K_c running tasks in a cluster that has services):

  ListClusters ⌈C/100⌉ (at least 1) · DescribeClusters ⌈C/100⌉
  ListServices Σ max(1, ⌈S_c/100⌉) · DescribeServices Σ ⌈S_c/10⌉
  DescribeTaskDefinition T (each revision once, however many services share it)
  ListTasks Σ max(1, ⌈K_c/100⌉) · DescribeTasks Σ ⌈K_c/100⌉   (clusters with services only)

Every describe is checked against the ids it asked for (:func:`.api.unaccounted`): one left
out of the answer or listed under ``failures`` is an error naming it, and what depends on it
is incomplete.
"""

from __future__ import annotations

from functools import partial

from ecs_exposure.analysis.shapes import as_list
from ecs_exposure.inventory import Inventory
from ecs_exposure.model import Json
from ecs_exposure.sources.aws.api import Api, chunks, count, unaccounted
from ecs_exposure.sources.aws.state import RegionState, cluster_dep, tasks_dep, td_dep

CLUSTER_BATCH = 100
SERVICE_BATCH = 10
TASK_BATCH = 100


def region_scope(api: Api) -> str:
    """The resource name used when a whole region's ECS data could not be listed."""
    return f"arn:{api.partition}:ecs:{api.region}:{api.account}:cluster/*"


def collect_clusters(api: Api, state: RegionState) -> list[str] | None:
    """Cluster ARNs of the region (``None`` when they could not be listed), described."""
    api.status("listing clusters")
    arns = api.pages("ecs", "ListClusters", "clusterArns",
                     scopes=[(region_scope(api), "the region's ECS clusters")])
    if arns is None:
        return None
    state.attempted.add("ecs/describe-clusters")
    for batch in chunks(arns, CLUSTER_BATCH):
        response = api.call("ecs", "DescribeClusters", depends=[cluster_dep(a) for a in batch],
                            clusters=list(batch), include=["SETTINGS", "CONFIGURATIONS"])
        if response is not None:
            state.clusters.extend(c for c in as_list(response.get("clusters"))
                                  if isinstance(c, dict))
            api.unaccounted_for("ecs", "DescribeClusters", unaccounted(
                batch, response.get("clusters"), "clusterArn", response.get("failures")),
                depends=lambda arn: [cluster_dep(arn)])
    return [str(a) for a in arns]


def collect_services(api: Api, state: RegionState, clusters: list[str]) -> None:
    """Every service of every cluster, described ten at a time (the API's limit).

    The clusters are listed, then all the describe batches issued, a few calls at a time
    (:meth:`.api.Api.map`); services are kept in cluster and list order whatever answers first.
    """
    state.attempted.add("ecs/describe-services")
    api.status(f"services of {count(len(clusters), 'cluster')}")

    def listing(cluster: str) -> list[str]:
        return api.pages("ecs", "ListServices", "serviceArns", cluster=cluster,
                         scopes=[(cluster, "the cluster's services")]) or []

    batches = [(cluster, list(batch)) for cluster, arns in zip(
        clusters, api.map(listing, clusters), strict=True)
        for batch in chunks(arns, SERVICE_BATCH)]

    def describe(job: tuple[str, list[str]]) -> Json | None:
        cluster, batch = job
        return api.call("ecs", "DescribeServices", cluster=cluster, services=batch,
                        scopes=[(a, "the service's description") for a in batch])

    for (_, batch), response in zip(batches, api.map(describe, batches), strict=True):
        if response is not None:
            state.services.extend(s for s in as_list(response.get("services"))
                                  if isinstance(s, dict))
            api.unaccounted_for("ecs", "DescribeServices", unaccounted(
                batch, response.get("services"), "serviceArn", response.get("failures")),
                what="the service's description")


def collect_task_definitions(api: Api, state: RegionState) -> None:
    """Each revision a service or one of its deployments or task sets runs, fetched once."""
    refs = list(dict.fromkeys(ref for service in state.services
                              for ref in Inventory.service_task_definition_refs(service)))
    if not refs:
        return
    state.attempted.add("ecs/describe-task-definition")
    api.status(f"task definitions ({len(refs)})")

    def fetch(ref: str) -> Json | None:
        return api.call("ecs", "DescribeTaskDefinition", depends=[td_dep(ref)],
                        taskDefinition=ref)

    for ref, response in zip(refs, api.map(fetch, refs), strict=True):
        if response is not None and isinstance(response.get("taskDefinition"), dict):
            state.task_definitions[ref] = response["taskDefinition"]
        elif response is not None:
            # An answer without the revision: the services running it are incomplete, and
            # the scan assesses them with an unknown task definition (never as clean).
            api.unaccounted_for("ecs", "DescribeTaskDefinition",
                                {ref: "the answer holds no task definition"},
                                depends=lambda r: [td_dep(r)])


def _cluster_tasks(cluster: str, _task: str) -> list[str]:
    return [tasks_dep(cluster)]


def collect_tasks(api: Api, state: RegionState) -> None:
    """Running tasks of the clusters that have services: the image digests actually running
    and the network interfaces they use. Tasks started outside a service are dropped.
    Clusters are listed, then described, a few calls at a time; tasks kept in cluster order."""
    clusters = list(dict.fromkeys(str(s["clusterArn"]) for s in state.services
                                  if isinstance(s.get("clusterArn"), str)))
    if not clusters:
        return
    state.attempted.add("ecs/describe-tasks")
    api.status("running tasks")

    def listing(cluster: str) -> list[str]:
        return api.pages("ecs", "ListTasks", "taskArns", depends=[tasks_dep(cluster)],
                         cluster=cluster, desiredStatus="RUNNING") or []

    batches = [(cluster, list(batch)) for cluster, arns in zip(
        clusters, api.map(listing, clusters), strict=True) for batch in chunks(arns, TASK_BATCH)]

    def describe(job: tuple[str, list[str]]) -> Json | None:
        cluster, batch = job
        return api.call("ecs", "DescribeTasks", depends=[tasks_dep(cluster)], cluster=cluster,
                        tasks=batch)

    for (cluster, batch), response in zip(batches, api.map(describe, batches), strict=True):
        if response is not None:
            tasks = [t for t in as_list(response.get("tasks")) if isinstance(t, dict)]
            state.tasks.extend(t for t in tasks if str(t.get("group", "")).startswith("service:"))
            # A task left out may be one of a service's: its cluster's running tasks (image
            # digests, network interfaces) are then not all known.
            api.unaccounted_for("ecs", "DescribeTasks", unaccounted(
                batch, tasks, "taskArn", response.get("failures")),
                depends=partial(_cluster_tasks, cluster))
