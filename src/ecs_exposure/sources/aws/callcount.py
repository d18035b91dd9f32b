"""The number of API calls a collection makes, as a formula of the estate's size.

Per account and region, with C clusters, S_c services in cluster c, T distinct task definition
revisions the services and their deployments reference, K_c running tasks in each cluster that
has services, G target groups, L load balancers, SG security groups, N subnets, V VPCs, E task
network interfaces, and for ECR R_g repositories per registry g and I_r image references per
repository r, and F distinct EFS file systems the task definitions mount ("[x]" is 1 when x
holds, else 0)::

    region = max(1, ⌈C/100⌉) + ⌈C/100⌉                                  clusters
           + Σ_c ( max(1, ⌈S_c/100⌉) + ⌈S_c/10⌉ )                       services
           + T                                                          task definitions
           + Σ_c∈with services ( max(1, ⌈K_c/100⌉) + ⌈K_c/100⌉ )         running tasks
           + ⌈G/20⌉ + ⌈L/20⌉ + L                                         load balancing
           + ⌈SG/200⌉ + ⌈N/200⌉ + ⌈V/200⌉ + ⌈E/200⌉                       network
           + Σ_g ⌈R_g/100⌉ + Σ_r ⌈I_r/100⌉ + [own registry used]         ECR
           + F                                                          EFS file systems

Per account, with R roles referenced as task or execution role, P_r inline policies of role r
and M distinct managed policies attached to them::

    account = 3·R + Σ_r P_r + 2·M                                        IAM
            + [--region all]                                             DescribeRegions
            + [assumed]                                                  AssumeRole

Once per run: 1 GetCallerIdentity, and ⌈A/20⌉ ListAccounts with ``--organization``. A region
with no cluster costs one call. Retries are not counted; assumed-role credentials refresh
(one more AssumeRole) once an hour. Only the terms that depend on the whole estate are large:
for S services in one region the cost is about S/10 + T + S/100·(3) + R-terms, so a thousand
services sharing a hundred revisions take about 250 calls.

:func:`expected_calls` evaluates the formula on a snapshot (its stored data gives every count
except standalone tasks, which the snapshot drops: it assumes all running tasks belong to
services), so tests and the benchmark can compare it with what was measured.
"""

from __future__ import annotations

from math import ceil
from typing import Any

from ecs_exposure.analysis.shapes import as_dict, as_list
from ecs_exposure.inventory import Inventory
from ecs_exposure.model import Json
from ecs_exposure.sources.aws.ecr import ImageRef, parse_image
from ecs_exposure.sources.aws.efs import file_system_ids
from ecs_exposure.sources.aws.state import (
    awsvpc_configs,
    eni_ids,
    target_group_arns,
)


def _up(count: int, size: int) -> int:
    return ceil(count / size)


def _region_calls(account: str, region: str, docs: Json) -> int:
    ecs = as_dict(docs.get("ecs"))
    clusters = as_list(as_dict(ecs.get("describe-clusters")).get("clusters"))
    services = as_list(as_dict(ecs.get("describe-services")).get("services"))
    tds = as_list(as_dict(ecs.get("describe-task-definition")).get("taskDefinitions"))
    tasks = as_list(as_dict(ecs.get("describe-tasks")).get("tasks"))
    elbv2 = as_dict(docs.get("elbv2"))
    lbs = as_list(as_dict(elbv2.get("describe-load-balancers")).get("LoadBalancers"))
    ec2 = as_dict(docs.get("ec2"))
    subnets = as_list(as_dict(ec2.get("describe-subnets")).get("Subnets"))
    by_cluster: dict[str, int] = {}
    for service in services:
        by_cluster[str(service.get("clusterArn"))] = by_cluster.get(
            str(service.get("clusterArn")), 0) + 1
    tasks_by_cluster: dict[str, int] = {}
    for task in tasks:
        key = str(task.get("clusterArn"))
        tasks_by_cluster[key] = tasks_by_cluster.get(key, 0) + 1
    c = len(clusters)
    calls = max(1, _up(c, 100)) + _up(c, 100)
    for cluster in clusters:
        s_c = by_cluster.get(str(cluster.get("clusterArn")), 0)
        calls += max(1, _up(s_c, 100)) + _up(s_c, 10)
    calls += len({ref for s in services for ref in Inventory.service_task_definition_refs(s)})
    for cluster in by_cluster:
        k_c = tasks_by_cluster.get(cluster, 0)
        calls += max(1, _up(k_c, 100)) + _up(k_c, 100)
    groups = {arn for s in services for arn in target_group_arns(s)}
    calls += _up(len(groups), 20) + _up(len(lbs), 20) + len(lbs)
    sgs: set[str] = set()
    subnet_ids: set[str] = set()
    for service in services:
        for config in awsvpc_configs(service):
            sgs.update(str(g) for g in as_list(config.get("securityGroups")))
            subnet_ids.update(str(s) for s in as_list(config.get("subnets")))
    for lb in lbs:
        sgs.update(str(g) for g in as_list(as_dict(lb).get("SecurityGroups")))
    vpcs = {str(s.get("VpcId")) for s in subnets}
    enis = {e for task in tasks for e in eni_ids(task)}
    calls += _up(len(sgs), 200) + _up(len(subnet_ids), 200)
    calls += _up(len(vpcs), 200) + _up(len(enis), 200)
    calls += _ecr_calls(account, region, tds, tasks)
    calls += len(file_system_ids(as_dict(td) for td in tds))
    return calls


def _ecr_calls(account: str, region: str, tds: list[Any], tasks: list[Any]) -> int:
    refs: set[ImageRef] = set()
    for td in tds:
        for container in as_list(as_dict(td).get("containerDefinitions")):
            image = as_dict(container).get("image")
            if isinstance(image, str) and (ref := parse_image(image)):
                refs.add(ref)
    for task in tasks:
        for container in as_list(as_dict(task).get("containers")):
            container = as_dict(container)
            image, digest = container.get("image"), container.get("imageDigest")
            if isinstance(image, str) and (ref := parse_image(
                    image, digest if isinstance(digest, str) else None)):
                refs.add(ref)
    registries: dict[tuple[str, str], dict[str, set[tuple[tuple[str, str], ...]]]] = {}
    for ref in refs:
        repos = registries.setdefault((ref.registry, ref.region), {})
        repos.setdefault(ref.repository, set()).add(tuple(ref.image_id().items()))
    calls = sum(_up(len(repos), 100) for repos in registries.values())
    calls += sum(_up(len(ids), 100) for repos in registries.values() for ids in repos.values())
    return calls + (1 if (account, region) in registries else 0)


def _iam_calls(iam: Json) -> int:
    roles = as_list(iam.get("RoleDetailList"))
    inline = sum(len(as_list(as_dict(r).get("RolePolicyList"))) for r in roles)
    managed = {str(a.get("PolicyArn")) for r in roles
               for a in as_list(as_dict(r).get("AttachedManagedPolicies")) if isinstance(a, dict)}
    return 3 * len(roles) + inline + 2 * len(managed)


def expected_calls(snapshot: Json, *, caller: str, all_regions: bool = False,
                   organization_accounts: int = 0) -> int:
    """The formula's value for the estate a snapshot holds (collected without errors)."""
    calls = 1 + (_up(organization_accounts, 20) if organization_accounts else 0)
    for account, data in as_dict(snapshot.get("accounts")).items():
        data = as_dict(data)
        calls += (1 if account != caller else 0) + (1 if all_regions else 0)
        for region, docs in as_dict(data.get("regions")).items():
            calls += _region_calls(str(account), str(region), as_dict(docs))
        iam = as_dict(as_dict(data.get("iam")).get("get-account-authorization-details"))
        calls += _iam_calls(iam)
    return calls

