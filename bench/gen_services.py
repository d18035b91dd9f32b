"""Clusters and services of the synthetic estate, wired to the network and task definitions.

Each team owns a prod and a staging cluster in one VPC. About 70% of services run a family of
their own; the rest share one (the same worker in several pools, the same app in staging and
prod), so task definitions, roles and security groups are shared as in real estates. Services
are placed, exposed and deployed by exact quota (``RATES``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bench.common import ACCOUNT, Json, Source, arn
from bench.gen_network import (
    LoadBalancer,
    Network,
    add_load_balancer,
    add_security_group,
    add_target_group,
    service_ingress,
)
from bench.gen_taskdefs import Family

RATES = {
    "exec": 0.12,              # enableExecuteCommand true
    "public-ip": 0.06,         # of awsvpc services: assignPublicIp ENABLED (public subnets)
    "open-port": 0.04,         # of awsvpc services: own group open to 0.0.0.0/0 on the port
    "open-all": 0.01,          # of awsvpc services: own group open to 0.0.0.0/0, every port
    "behind-lb": 0.55,         # of services that listen: behind an application load balancer
    "old-platform": 0.04,      # of Fargate services: platform version 1.3.0
    "rolling": 0.04,           # a deployment of the previous revision still running
    "missing-group": 0.005,    # of awsvpc services: a security group not in the export
}
SERVICES_PER_LB = 10
"""Services sharing one application load balancer (host-based routing)."""
EVENT_MESSAGES = ("has reached a steady state.", "has started 1 tasks: (task {id}).",
                  "registered 1 targets in (target-group {tg})", "has stopped 1 running tasks: "
                  "(task {id}).", "deployment ecs-svc/{id} completed.")


@dataclass
class Service:
    """One service: its describe-services entry and the traits planted in it."""

    cluster: str
    data: Json
    planted: list[str] = field(default_factory=list)


@dataclass
class Team:
    """A team's clusters, VPC, shared security group and current load balancer."""

    index: int
    vpc: int
    shared_group: str = ""
    balancer: LoadBalancer | None = None
    balancer_use: int = 0


def cluster(src: Source, name: str, insights: bool, services: int) -> Json:
    """describe-clusters entry (``--include SETTINGS``)."""
    return {
        "clusterArn": arn("ecs", f"cluster/{name}"), "clusterName": name, "status": "ACTIVE",
        "registeredContainerInstancesCount": src.rng.randrange(0, 40),
        "runningTasksCount": services * 2, "pendingTasksCount": 0,
        "activeServicesCount": services, "statistics": [],
        "tags": [{"key": "environment", "value": name.rsplit("-", 1)[-1]}],
        "settings": [{"name": "containerInsights",
                      "value": "enabled" if insights else "disabled"}],
        "capacityProviders": ["FARGATE", "FARGATE_SPOT"], "defaultCapacityProviderStrategy": [],
    }


def _events(src: Source, name: str) -> list[Json]:
    events = []
    for _ in range(src.rng.randrange(0, 31)):
        message = src.pick(EVENT_MESSAGES).format(id=src.hex(32), tg=f"{name}-tg")
        events.append({"id": src.uuid(), "createdAt": src.timestamp(60),
                       "message": f"(service {name}) {message}"})
    return events


def _deployment(src: Source, td_arn: str, status: str, count: int, launch: Json,
                network: Json | None) -> Json:
    deployment: Json = {"id": f"ecs-svc/{src.rng.randrange(10**18, 10**19)}",
                        "status": status, "taskDefinition": td_arn, "desiredCount": count,
                        "pendingCount": 0, "runningCount": count, "failedTasks": 0,
                        "createdAt": src.timestamp(30), "updatedAt": src.timestamp(30)}
    deployment.update(launch)
    if network:
        deployment["networkConfiguration"] = network
    deployment["rolloutState"] = "COMPLETED" if status == "PRIMARY" else "IN_PROGRESS"
    return deployment


class ServiceBuilder:
    """Builds services one at a time, creating security groups and load balancers on demand."""

    def __init__(self, src: Source, net: Network, teams: int, families: list[Family]) -> None:
        self.src = src
        self.net = net
        self.families = families
        """The family each service runs, by service index."""
        self.teams = [Team(t, t % len(net.vpcs)) for t in range(teams)]
        self.balancers: list[LoadBalancer] = []
        # Each share is of the services it can apply to: public IPs and security groups of
        # awsvpc services, platform versions of Fargate ones, load balancers of listeners.
        eligible = {
            "public-ip": [i for i, f in enumerate(families) if f.network_mode == "awsvpc"],
            "old-platform": [i for i, f in enumerate(families) if f.compat == "FARGATE"],
            "behind-lb": [i for i, f in enumerate(families) if f.port],
        }
        for key in ("open-port", "open-all", "missing-group"):
            eligible[key] = eligible["public-ip"]
        everyone = list(range(len(families)))
        self.quotas = {key: src.quota(eligible.get(key, everyone), rate)
                       for key, rate in RATES.items()}
        self.names: dict[str, int] = {}

    def _balancer(self, team: Team) -> LoadBalancer:
        if team.balancer is None or team.balancer_use >= SERVICES_PER_LB:
            vpc = self.net.vpcs[team.vpc]
            name = f"team-{team.index:02d}-alb-{len(self.balancers):05d}"
            # Half the balancers face the internet; the first always does, so that even a
            # tiny estate has a service reachable through one.
            facing = not self.balancers or self.src.chance(0.5)
            team.balancer = add_load_balancer(self.net, self.src, vpc, name, facing)
            team.balancer_use = 0
            self.balancers.append(team.balancer)
        team.balancer_use += 1
        return team.balancer

    def build(self, index: int, cluster_name: str) -> Service:
        """The ``index``-th service, running the current revision of its family."""
        family = self.families[index]
        src, quotas, team = self.src, self.quotas, self.teams[family.team]
        vpc = self.net.vpcs[team.vpc]
        seen = self.names.get(family.name, 0)
        self.names[family.name] = seen + 1
        name = family.name if seen == 0 else f"{family.name}-{seen + 1}"
        planted: list[str] = []
        td_arn = arn("ecs", f"task-definition/{family.name}:{family.revision}")
        fargate = family.compat == "FARGATE"
        launch: Json = ({"capacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT",
                                                       "weight": 1, "base": 0}]}
                        if fargate and src.chance(0.2) else {"launchType": family.compat})
        if fargate:
            old = index in quotas["old-platform"]
            launch["platformVersion"] = "1.3.0" if old else "LATEST"
            launch["platformFamily"] = "Linux"
            if old:
                planted.append("outdated-platform-version")
        load_balancers: list[Json] = []
        lb: LoadBalancer | None = None
        if family.port and index in quotas["behind-lb"]:
            lb = self._balancer(team)
            target = "ip" if family.network_mode == "awsvpc" else "instance"
            tg_arn = add_target_group(self.net, src, vpc, lb, f"{name}-tg"[:32],
                                      family.port, target)
            load_balancers.append({"targetGroupArn": tg_arn, "containerName": "app",
                                   "containerPort": family.port})
            if lb.internet_facing:
                planted += ["internet-reachable", "open-security-group"]
        network: Json | None = None
        if family.network_mode == "awsvpc":
            network = self._awsvpc(index, family, name, team, lb, planted)
        service: Json = {
            "serviceArn": arn("ecs", f"service/{cluster_name}/{name}"), "serviceName": name,
            "clusterArn": arn("ecs", f"cluster/{cluster_name}"), "loadBalancers": load_balancers,
            "serviceRegistries": [], "status": "ACTIVE",
        }
        count = 1 if family.kind == "agent" else src.rng.randrange(1, 12)
        service.update({"desiredCount": count, "runningCount": count, "pendingCount": 0})
        service.update(launch)
        service["taskDefinition"] = td_arn
        service["deploymentConfiguration"] = {
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
            "maximumPercent": 200, "minimumHealthyPercent": 100}
        deployments = [_deployment(src, td_arn, "PRIMARY", count, launch, network)]
        if index in quotas["rolling"]:
            previous = arn("ecs", f"task-definition/{family.name}:{family.revision - 1}")
            deployments.append(_deployment(src, previous, "ACTIVE", 1, launch, network))
        service["deployments"] = deployments
        service["roleArn"] = (f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/"
                              "ecs.amazonaws.com/AWSServiceRoleForECS")
        service["events"] = _events(src, name)
        service["createdAt"] = src.timestamp()
        service["placementConstraints"] = []
        service["placementStrategy"] = [] if fargate else [
            {"type": "spread", "field": "attribute:ecs.availability-zone"}]
        if network:
            service["networkConfiguration"] = network
        if load_balancers:
            service["healthCheckGracePeriodSeconds"] = 60
        service["schedulingStrategy"] = "DAEMON" if family.kind == "agent" else "REPLICA"
        service["deploymentController"] = {"type": "ECS"}
        service["createdBy"] = f"arn:aws:iam::{ACCOUNT}:role/team-{family.team:02d}-deploy"
        service["enableECSManagedTags"] = True
        service["propagateTags"] = "SERVICE"
        service["enableExecuteCommand"] = index in quotas["exec"]
        if service["enableExecuteCommand"]:
            planted.append("execute-command-enabled")
        return Service(cluster_name, service, planted)

    def _awsvpc(self, index: int, family: Family, name: str, team: Team,
                lb: LoadBalancer | None, planted: list[str]) -> Json:
        src, quotas, vpc = self.src, self.quotas, self.net.vpcs[team.vpc]
        public = index in quotas["public-ip"]
        open_to = ("all" if index in quotas["open-all"] else
                   "port" if index in quotas["open-port"] else None)
        port = family.port or 8080
        if open_to or src.chance(0.7):
            group = add_security_group(
                self.net, src, vpc, f"{name}-svc", f"{name} tasks",
                service_ingress(src, vpc, port, open_to, lb.group_id if lb else None))
        else:
            if not team.shared_group:
                team.shared_group = add_security_group(
                    self.net, src, vpc, f"team-{team.index:02d}-services",
                    "shared by the team's services", service_ingress(src, vpc, 8080, None, None))
            group = team.shared_group
        groups = [group]
        if index in quotas["missing-group"]:
            groups.append(src.resource_id("sg"))  # deleted, or in another account's export
        if open_to:
            planted.append("open-security-group")
        if public:
            planted.append("public-ip")
            if open_to == "all" or (open_to == "port" and family.port):
                planted.append("internet-reachable")
        subnets = vpc.public_subnets if public else vpc.private_subnets
        return {"awsvpcConfiguration": {"subnets": list(subnets), "securityGroups": groups,
                                        "assignPublicIp": "ENABLED" if public else "DISABLED"}}
