"""Network context of the services: load balancers first (their security groups join the
services' own), then security groups, subnets, route tables and network interfaces.

Only what the services reference is read. EC2 lookups use filters rather than id lists: a
filter on an id that no longer exists returns nothing, where an id list fails the whole call.
Every answer is checked against what was asked (:func:`~ecs_exposure.sources.aws.api.unaccounted`):
an id it leaves out (deleted, or dropped by the server) is an error naming it, and what
depends on it is incomplete, never read as "no rule, no route, no load balancer".

Calls per region (G target groups, L load balancers, SG security groups, N subnets, V VPCs of
those subnets, E network interfaces of running tasks; zero when the count is zero):

  DescribeTargetGroups ⌈G/20⌉ · DescribeLoadBalancers ⌈L/20⌉ · DescribeListeners L
  DescribeSecurityGroups ⌈SG/200⌉ · DescribeSubnets ⌈N/200⌉ · DescribeRouteTables ⌈V/200⌉
  DescribeNetworkInterfaces ⌈E/200⌉          (one page each at these sizes)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from botocore.exceptions import ClientError

from ecs_exposure.analysis.shapes import as_list
from ecs_exposure.model import Json
from ecs_exposure.sources.aws.api import Api, chunks, together, unaccounted
from ecs_exposure.sources.aws.state import (
    RegionState,
    awsvpc_configs,
    eni_dep,
    eni_ids,
    lb_dep,
    listeners_dep,
    routes_dep,
    sg_dep,
    subnet_dep,
    target_group_arns,
    tg_dep,
)

ELB_BATCH = 20
FILTER_BATCH = 200
"""EC2 accepts up to 200 values per filter."""


def _answered(api: Api, operation: str, key: str, id_key: str, requested: Sequence[str],
              response: Json | None, label: Callable[[str], str],
              service: str = "elbv2") -> list[Json]:
    """The items of an answer, after recording the requested ids it does not account for."""
    if response is None:
        return []
    items = [item for item in as_list(response.get(key)) if isinstance(item, dict)]
    api.unaccounted_for(service, operation, unaccounted(requested, items, id_key, None),
                        depends=lambda ident: [label(ident)])
    return items


def _describe_elb(api: Api, operation: str, key: str, id_param: str, not_found: str,
                  arns: Sequence[str], label: Callable[[str], str]) -> list[Json]:
    """Describe ELBv2 resources by ARN, 20 at a time.

    An ARN that no longer exists fails its whole batch with ``not_found``; the batch is then
    retried one ARN at a time so the others are still read (one AWS says is not found is
    simply absent; one an answer leaves out without saying so is an error).
    """
    found: list[Json] = []
    ids: dict[str, Any]
    id_key = id_param[:-1]          # TargetGroupArns → TargetGroupArn
    for batch in chunks(arns, ELB_BATCH):
        try:
            ids = {id_param: list(batch)}
            response = api.call("elbv2", operation, depends=[label(a) for a in batch],
                                quiet=(not_found,), **ids)
        except ClientError:
            for arn in batch:
                ids = {id_param: [arn]}
                try:
                    single = api.call("elbv2", operation, depends=[label(arn)],
                                      quiet=(not_found,), **ids)
                except ClientError:
                    continue
                found += _answered(api, operation, key, id_key, [arn], single, label)
            continue
        found += _answered(api, operation, key, id_key, batch, response, label)
    return found


def collect_load_balancers(api: Api, state: RegionState) -> None:
    """Target groups of the services, their load balancers, and those balancers' listeners."""
    tg_arns = list(dict.fromkeys(arn for s in state.services for arn in target_group_arns(s)))
    if not tg_arns:
        return
    api.status("load balancers")
    state.attempted.update({"elbv2/describe-target-groups", "elbv2/describe-load-balancers",
                            "elbv2/describe-listeners"})
    state.target_groups = _describe_elb(api, "DescribeTargetGroups", "TargetGroups",
                                        "TargetGroupArns", "TargetGroupNotFound", tg_arns, tg_dep)
    lb_arns = list(dict.fromkeys(str(arn) for group in state.target_groups
                                 for arn in as_list(group.get("LoadBalancerArns"))))
    state.load_balancers = _describe_elb(api, "DescribeLoadBalancers", "LoadBalancers",
                                         "LoadBalancerArns", "LoadBalancerNotFound", lb_arns,
                                         lb_dep)

    def listeners(lb: Json) -> list[Json]:
        arn = str(lb.get("LoadBalancerArn"))
        return api.pages("elbv2", "DescribeListeners", "Listeners",
                         depends=[listeners_dep(arn)], LoadBalancerArn=arn) or []

    for found in api.map(listeners, state.load_balancers):
        state.listeners.extend(found)


def _by_filter(api: Api, operation: str, key: str, name: str, values: Sequence[str],
               label: Callable[[str], str], id_key: str) -> list[Json]:
    """Items whose ``name`` filter is one of ``values``; a value no item answers for (the
    item's ``id_key``) is an error for that value, its dependants incomplete."""
    batches = chunks(values, FILTER_BATCH)

    def page(batch: Sequence[str]) -> list[Any] | None:
        return api.pages("ec2", operation, key, depends=[label(v) for v in batch],
                         Filters=[{"Name": name, "Values": list(batch)}])

    found: list[Json] = []
    for batch, items in zip(batches, api.map(page, batches), strict=True):
        if items is not None:
            found += _answered(api, operation, key, id_key, batch, {key: items}, label, "ec2")
    return found


def collect_network(api: Api, state: RegionState) -> None:
    """Security groups (services' and load balancers'), subnets, their VPCs' route tables and
    the network interfaces of running tasks."""
    groups: list[str] = []
    subnets: list[str] = []
    for service in state.services:
        for config in awsvpc_configs(service):
            groups += [str(g) for g in as_list(config.get("securityGroups"))]
            subnets += [str(s) for s in as_list(config.get("subnets"))]
    for lb in state.load_balancers:
        groups += [str(g) for g in as_list(lb.get("SecurityGroups"))]
    groups, subnets = list(dict.fromkeys(groups)), list(dict.fromkeys(subnets))
    enis = list(dict.fromkeys(e for task in state.tasks for e in eni_ids(task)))
    if groups or subnets or enis:
        api.status("network")

    def security_groups() -> None:
        state.attempted.add("ec2/describe-security-groups")
        state.security_groups = _by_filter(api, "DescribeSecurityGroups", "SecurityGroups",
                                           "group-id", groups, sg_dep, "GroupId")

    def subnets_and_routes() -> None:
        state.attempted.update({"ec2/describe-subnets", "ec2/describe-route-tables"})
        state.subnets = _by_filter(api, "DescribeSubnets", "Subnets", "subnet-id", subnets,
                                   subnet_dep, "SubnetId")
        vpcs = list(dict.fromkeys(str(s.get("VpcId")) for s in state.subnets if s.get("VpcId")))
        state.route_tables = _by_filter(api, "DescribeRouteTables", "RouteTables", "vpc-id",
                                        vpcs, routes_dep, "VpcId")

    def interfaces() -> None:
        state.attempted.add("ec2/describe-network-interfaces")
        state.network_interfaces = _by_filter(api, "DescribeNetworkInterfaces",
                                              "NetworkInterfaces", "network-interface-id",
                                              enis, eni_dep, "NetworkInterfaceId")

    # Independent lookups: issued at once (each writes its own part of the state).
    together(*(step for step, wanted in ((security_groups, groups),
                                         (subnets_and_routes, subnets), (interfaces, enis))
               if wanted))
