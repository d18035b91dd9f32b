"""What one account+region worker has collected so far, and what each service depends on.

The per-service collectors fill a :class:`RegionState`; the snapshot stores its
:meth:`RegionState.documents`, which are exactly the ``describe-*`` output shapes the file
sources read. :meth:`RegionState.dependencies` names everything a service's assessment reads,
with the same labels the collectors use when a call fails, so that a failure anywhere marks
exactly the services it affects as incomplete.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ecs_exposure.analysis.shapes import as_dict, as_list
from ecs_exposure.inventory import Inventory
from ecs_exposure.model import Json


def awsvpc_configs(service: Json) -> Iterator[Json]:
    """Network configurations of the service, its task sets and its deployments."""
    holders = [service] + [as_dict(t) for t in as_list(service.get("taskSets"))]
    holders += [as_dict(d) for d in as_list(service.get("deployments"))]
    for holder in holders:
        config = as_dict(as_dict(holder.get("networkConfiguration")).get("awsvpcConfiguration"))
        if config:
            yield config


def target_group_arns(service: Json) -> list[str]:
    """Target groups of the service and of its task sets."""
    entries = as_list(service.get("loadBalancers"))
    for task_set in as_list(service.get("taskSets")):
        entries += as_list(as_dict(task_set).get("loadBalancers"))
    return list(dict.fromkeys(str(e["targetGroupArn"]) for e in entries
                              if isinstance(e, dict) and isinstance(e.get("targetGroupArn"), str)))


def role_refs(td: Json) -> list[str]:
    """Task and execution roles of a task definition."""
    return [str(td[k]) for k in ("taskRoleArn", "executionRoleArn")
            if isinstance(td.get(k), str) and td[k]]


def eni_ids(task: Json) -> list[str]:
    """Network interfaces attached to a running task (awsvpc mode)."""
    ids = []
    for attachment in as_list(task.get("attachments")):
        for detail in as_list(as_dict(attachment).get("details")):
            detail = as_dict(detail)
            if detail.get("name") == "networkInterfaceId" and isinstance(detail.get("value"), str):
                ids.append(detail["value"])
    return ids


# Dependency labels: shared by the collectors (on failure) and ``dependencies`` (per service).
def cluster_dep(arn: str) -> str:
    return f"cluster {arn}"


def tasks_dep(cluster_arn: str) -> str:
    return f"running tasks of cluster {cluster_arn}"


def td_dep(ref: str) -> str:
    return f"task definition {ref}"


def sg_dep(group_id: str) -> str:
    return f"security group {group_id}"


def subnet_dep(subnet_id: str) -> str:
    return f"subnet {subnet_id}"


def routes_dep(vpc_id: str) -> str:
    return f"route tables of {vpc_id}"


def eni_dep(eni_id: str) -> str:
    return f"network interface {eni_id}"


def tg_dep(arn: str) -> str:
    return f"target group {arn}"


def lb_dep(arn: str) -> str:
    return f"load balancer {arn}"


def listeners_dep(lb_arn: str) -> str:
    return f"listeners of load balancer {lb_arn}"


def role_dep(arn: str) -> str:
    return f"IAM role {arn}"


def repo_dep(repository: str) -> str:
    return f"ECR repository {repository}"


def efs_dep(file_system_id: str) -> str:
    return f"EFS file system {file_system_id}"


@dataclass
class RegionState:
    """Everything collected in one account and region, as API-shaped dicts."""

    account: str
    region: str
    clusters: list[Json] = field(default_factory=list)
    services: list[Json] = field(default_factory=list)
    task_definitions: dict[str, Json] = field(default_factory=dict)
    """Reference as a service names it → the task definition."""
    tasks: list[Json] = field(default_factory=list)
    security_groups: list[Json] = field(default_factory=list)
    subnets: list[Json] = field(default_factory=list)
    route_tables: list[Json] = field(default_factory=list)
    network_interfaces: list[Json] = field(default_factory=list)
    load_balancers: list[Json] = field(default_factory=list)
    target_groups: list[Json] = field(default_factory=list)
    listeners: list[Json] = field(default_factory=list)
    repositories: list[Json] = field(default_factory=list)
    images: list[Json] = field(default_factory=list)
    registry_scanning: Json | None = None
    file_systems: list[Json] = field(default_factory=list)
    """EFS file systems the task definitions mount (``DescribeFileSystems``)."""
    image_repositories: dict[str, str] = field(default_factory=dict)
    """Image URI in a task or container definition → its ECR repository label."""
    attempted: set[str] = field(default_factory=set)
    """``service/operation`` documents that were asked for (an empty result is still data)."""

    def task_definition_list(self) -> list[Json]:
        """Distinct task definitions (several references may name the same revision)."""
        unique: dict[str, Json] = {}
        for ref, td in self.task_definitions.items():
            unique.setdefault(str(td.get("taskDefinitionArn") or ref), td)
        return list(unique.values())

    def documents(self) -> Json:
        """The region as the snapshot stores it: service → operation → output shape."""
        def want(name: str) -> bool:
            return name in self.attempted

        docs: dict[str, Json] = {"ecs": {}, "ec2": {}, "elbv2": {}, "ecr": {}}
        ecs, ec2, elbv2, ecr = docs["ecs"], docs["ec2"], docs["elbv2"], docs["ecr"]
        if want("ecs/describe-clusters"):
            ecs["describe-clusters"] = {"clusters": self.clusters}
        if want("ecs/describe-services"):
            ecs["describe-services"] = {"services": self.services}
        if want("ecs/describe-task-definition"):
            ecs["describe-task-definition"] = {"taskDefinitions": self.task_definition_list()}
        if want("ecs/describe-tasks"):
            ecs["describe-tasks"] = {"tasks": self.tasks}
        for name, key, items in (
            ("describe-security-groups", "SecurityGroups", self.security_groups),
            ("describe-subnets", "Subnets", self.subnets),
            ("describe-route-tables", "RouteTables", self.route_tables),
            ("describe-network-interfaces", "NetworkInterfaces", self.network_interfaces),
        ):
            if want(f"ec2/{name}"):
                ec2[name] = {key: items}
        for name, key, items in (
            ("describe-load-balancers", "LoadBalancers", self.load_balancers),
            ("describe-target-groups", "TargetGroups", self.target_groups),
            ("describe-listeners", "Listeners", self.listeners),
        ):
            if want(f"elbv2/{name}"):
                elbv2[name] = {key: items}
        if want("ecr/describe-repositories"):
            ecr["describe-repositories"] = {"repositories": self.repositories}
        if want("ecr/describe-images"):
            ecr["describe-images"] = {"imageDetails": self.images}
        if self.registry_scanning is not None:
            ecr["get-registry-scanning-configuration"] = self.registry_scanning
        if want("efs/describe-file-systems"):
            docs["efs"] = {"describe-file-systems": {"FileSystems": self.file_systems}}
        return {service: ops for service, ops in docs.items() if ops}

    def dependencies(self) -> dict[str, list[str]]:
        """Service ARN → labels of everything its assessment reads."""
        vpc_of = {str(s.get("SubnetId")): str(s.get("VpcId")) for s in self.subnets}
        groups = {str(g.get("TargetGroupArn")): g for g in self.target_groups}
        balancers = {str(b.get("LoadBalancerArn")): b for b in self.load_balancers}
        enis: dict[tuple[Any, Any], list[str]] = {}
        for task in self.tasks:
            enis.setdefault((task.get("clusterArn"), task.get("group")), []).extend(
                eni_dep(e) for e in eni_ids(task))
        result: dict[str, list[str]] = {}
        for service in self.services:
            deps: list[str] = []
            cluster = service.get("clusterArn")
            if isinstance(cluster, str):
                deps += [cluster_dep(cluster), tasks_dep(cluster)]
            for ref in Inventory.service_task_definition_refs(service):
                deps.append(td_dep(ref))
                td = self.task_definitions.get(ref, {})
                deps += [role_dep(role) for role in role_refs(td)]
                for container in as_list(td.get("containerDefinitions")):
                    image = as_dict(container).get("image")
                    if isinstance(image, str) and image in self.image_repositories:
                        deps.append(self.image_repositories[image])
                for volume in as_list(td.get("volumes")):
                    efs = as_dict(as_dict(volume).get("efsVolumeConfiguration"))
                    if isinstance(efs.get("fileSystemId"), str):
                        deps.append(efs_dep(efs["fileSystemId"]))
            for config in awsvpc_configs(service):
                deps += [sg_dep(str(g)) for g in as_list(config.get("securityGroups"))]
                for subnet in map(str, as_list(config.get("subnets"))):
                    deps.append(subnet_dep(subnet))
                    if subnet in vpc_of:
                        deps.append(routes_dep(vpc_of[subnet]))
            for tg_arn in target_group_arns(service):
                deps.append(tg_dep(tg_arn))
                for lb_arn in map(str, as_list(groups.get(tg_arn, {}).get("LoadBalancerArns"))):
                    deps += [lb_dep(lb_arn), listeners_dep(lb_arn)]
                    lb = balancers.get(lb_arn, {})
                    deps += [sg_dep(str(g)) for g in as_list(lb.get("SecurityGroups"))]
            deps += enis.get((cluster, f"service:{service.get('serviceName')}"), [])
            result[str(service.get("serviceArn"))] = list(dict.fromkeys(deps))
        return result
