from __future__ import annotations

from typing import Any

import pytest

from ecs_exposure.model import Trait
from support.builders import (
    container,
    network,
    scan_docs,
    security_group,
    service,
    task_definition,
    tcp,
)


def _traits(*docs: Any) -> dict[str, list[Trait]]:
    result = scan_docs(*docs)
    findings = result.findings
    out: dict[str, list[Trait]] = {}
    for finding in findings:
        for trait in finding.traits:
            out.setdefault(trait.id, []).append(trait)
    return out


def _estate(svc: dict[str, Any], *groups: dict[str, Any], public_routes: bool = True,
            td: dict[str, Any] | None = None) -> dict[str, list[Trait]]:
    return _traits({"taskDefinition": td or task_definition()}, {"services": [svc]},
                   {"SecurityGroups": list(groups)}, *network(public_routes))


def test_public_ip_open_group_and_igw_route_is_internet_reachable() -> None:
    traits = _estate(service(public_ip=True), security_group("sg-1", tcp(80)))
    assert "public-ip" in traits
    reach = traits["internet-reachable"][0]
    assert not reach.potential
    assert reach.path[0] == "internet"
    assert any("igw-1" in step for step in reach.path)
    sg = traits["open-security-group"][0]
    assert sg.pointer == "/IpPermissions/0/IpRanges/0"
    assert sg.resource == "arn:aws:ec2:us-east-1:111122223333:security-group/sg-1"


def test_open_port_the_task_does_not_listen_on_is_not_a_path() -> None:
    traits = _estate(service(public_ip=True), security_group("sg-1", tcp(22)))
    assert "open-security-group" in traits          # still a weakness of the group
    assert "internet-reachable" not in traits


def test_port_range_covering_the_listening_port() -> None:
    traits = _estate(service(public_ip=True), security_group("sg-1", tcp(1, to_port=1024)))
    assert "internet-reachable" in traits


def test_ipv6_anywhere_counts_as_open() -> None:
    traits = _estate(service(public_ip=True), security_group("sg-1", tcp(80, "::/0")))
    assert traits["open-security-group"][0].pointer == "/IpPermissions/0/Ipv6Ranges/0"
    assert "internet-reachable" in traits


def test_all_ports_rule_is_open_and_flagged_as_all_ports() -> None:
    perm = {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    traits = _estate(service(public_ip=True), security_group("sg-1", perm),
                     td=task_definition(containers=[container(portMappings=[])]))
    sg = traits["open-security-group"][0]
    assert dict(sg.extra)["all_ports"] is True
    assert "all traffic" in sg.detail
    assert "internet-reachable" in traits


def test_rule_by_security_group_reference_is_not_open() -> None:
    perm = {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
            "UserIdGroupPairs": [{"GroupId": "sg-alb"}],
            "PrefixListIds": [{"PrefixListId": "pl-1"}]}
    traits = _estate(service(public_ip=True), security_group("sg-1", perm))
    assert "open-security-group" not in traits
    assert "internet-reachable" not in traits
    assert "public-ip" in traits


def test_private_cidr_is_not_open() -> None:
    traits = _estate(service(public_ip=True), security_group("sg-1", tcp(80, "10.0.0.0/8")))
    assert "open-security-group" not in traits


def test_subnet_without_internet_gateway_route_is_not_reachable() -> None:
    traits = _estate(service(public_ip=True, subnets=("subnet-priv",)),
                     security_group("sg-1", tcp(80)))
    assert "internet-reachable" not in traits


def test_subnet_falls_back_to_main_route_table() -> None:
    docs = network()
    docs[1]["RouteTables"][1]["Routes"] = [{"DestinationCidrBlock": "0.0.0.0/0",
                                            "GatewayId": "igw-main", "State": "active"}]
    traits = _traits({"taskDefinition": task_definition()},
                     {"services": [service(public_ip=True, subnets=("subnet-priv",))]},
                     {"SecurityGroups": [security_group("sg-1", tcp(80))]}, *docs)
    assert any("igw-main" in s for s in traits["internet-reachable"][0].path)


def test_missing_security_group_makes_it_potentially_reachable() -> None:
    traits = _traits({"taskDefinition": task_definition()},
                     {"services": [service(public_ip=True)]}, *network())
    reach = traits["internet-reachable"][0]
    assert reach.potential
    assert "security group sg-1" in reach.missing
    assert "potentially" in reach.detail


def test_missing_routes_make_it_potentially_reachable() -> None:
    traits = _traits({"taskDefinition": task_definition()},
                     {"services": [service(public_ip=True)]},
                     {"SecurityGroups": [security_group("sg-1", tcp(80))]})
    reach = traits["internet-reachable"][0]
    assert reach.potential
    assert "route table of subnet subnet-pub" in reach.missing


def test_no_public_ip_and_no_load_balancer_is_not_reachable() -> None:
    traits = _estate(service(public_ip=False), security_group("sg-1", tcp(80)))
    assert "internet-reachable" not in traits
    assert "public-ip" not in traits


def test_task_set_public_ip() -> None:
    svc = service(public_ip=False, taskSets=[{"taskDefinition": service()["taskDefinition"],
                                              "networkConfiguration": {"awsvpcConfiguration": {
                                                  "subnets": ["subnet-pub"],
                                                  "securityGroups": ["sg-1"],
                                                  "assignPublicIp": "ENABLED"}}}])
    traits = _estate(svc, security_group("sg-1", tcp(80)))
    assert traits["public-ip"][0].pointer == \
        "/taskSets/0/networkConfiguration/awsvpcConfiguration/assignPublicIp"
    assert "internet-reachable" in traits


LB_ARN = "arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/pub/1"
TG_ARN = "arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/tg/1"


def _lb_docs(scheme: str = "internet-facing", groups: list[str] | None = None,
             lb_type: str = "application") -> list[dict[str, Any]]:
    lb: dict[str, Any] = {"LoadBalancerArn": LB_ARN, "LoadBalancerName": "pub",
                          "Scheme": scheme, "Type": lb_type}
    if groups is not None:
        lb["SecurityGroups"] = groups
    return [
        {"LoadBalancers": [lb]},
        {"TargetGroups": [{"TargetGroupArn": TG_ARN, "TargetGroupName": "tg", "Port": 80,
                           "LoadBalancerArns": [LB_ARN]}]},
        {"Listeners": [{"ListenerArn": LB_ARN + "/l", "LoadBalancerArn": LB_ARN, "Port": 443,
                        "Protocol": "HTTPS",
                        "DefaultActions": [{"Type": "forward", "TargetGroupArn": TG_ARN}]}]},
    ]


def _lb_service() -> dict[str, Any]:
    return service(public_ip=False, subnets=("subnet-priv",), loadBalancers=[
        {"targetGroupArn": TG_ARN, "containerName": "app", "containerPort": 80}])


def test_internet_facing_alb_with_open_group_reaches_private_service() -> None:
    traits = _traits({"taskDefinition": task_definition()}, {"services": [_lb_service()]},
                     {"SecurityGroups": [security_group("sg-1", tcp(80, "10.0.0.0/16")),
                                         security_group("sg-alb", tcp(443))]},
                     *network(), *_lb_docs(groups=["sg-alb"]))
    reach = traits["internet-reachable"][0]
    assert not reach.potential
    assert reach.pointer == "/loadBalancers/0"
    assert "HTTPS:443" in reach.path[1]
    assert [t.detail for t in traits["open-security-group"]][0].startswith(
        "load balancer pub security group sg-alb")


@pytest.mark.parametrize("scheme", ["internal"])
def test_internal_load_balancer_is_not_an_internet_path(scheme: str) -> None:
    traits = _traits({"taskDefinition": task_definition()}, {"services": [_lb_service()]},
                     {"SecurityGroups": [security_group("sg-1"), security_group("sg-alb",
                                                                                tcp(443))]},
                     *network(), *_lb_docs(scheme, groups=["sg-alb"]))
    assert "internet-reachable" not in traits
    assert "open-security-group" not in traits


def test_alb_whose_group_is_closed_is_not_reachable() -> None:
    result = scan_docs({"taskDefinition": task_definition()}, {"services": [_lb_service()]},
                       {"SecurityGroups": [security_group("sg-1"),
                                           security_group("sg-alb", tcp(443, "10.0.0.0/8"))]},
                       *network(), *_lb_docs(groups=["sg-alb"]))
    assert result.findings == ()


def test_network_load_balancer_without_security_groups_is_open() -> None:
    traits = _traits({"taskDefinition": task_definition()}, {"services": [_lb_service()]},
                     {"SecurityGroups": [security_group("sg-1", tcp(80))]},
                     *network(), *_lb_docs(groups=None, lb_type="network"))
    assert "no security group" in traits["internet-reachable"][0].path[1]


def test_unknown_target_group_is_potential() -> None:
    traits = _traits({"taskDefinition": task_definition()}, {"services": [_lb_service()]},
                     {"SecurityGroups": [security_group("sg-1")]}, *network())
    reach = traits["internet-reachable"][0]
    assert reach.potential
    assert reach.missing == ("target group tg",)


def test_a_listener_port_that_is_not_a_number_is_unknown_not_a_crash() -> None:
    docs = _lb_docs(groups=["sg-alb"])
    docs[2]["Listeners"][0]["Port"] = [443]
    traits = _traits({"taskDefinition": task_definition()}, {"services": [_lb_service()]},
                     {"SecurityGroups": [security_group("sg-1", tcp(80, "10.0.0.0/16")),
                                         security_group("sg-alb", tcp(443))]},
                     *network(), *docs)
    reach = traits["internet-reachable"][0]               # the open group still counts
    assert "listener port '[443]' is not a number" in reach.path[1]


def test_a_load_balancer_arn_that_is_not_text_is_a_missing_load_balancer() -> None:
    docs = _lb_docs(groups=["sg-alb"])
    docs[1]["TargetGroups"][0]["LoadBalancerArns"] = [[LB_ARN]]
    traits = _traits({"taskDefinition": task_definition()}, {"services": [_lb_service()]},
                     {"SecurityGroups": [security_group("sg-1"), security_group("sg-alb")]},
                     *network(), *docs)
    reach = traits["internet-reachable"][0]
    assert reach.potential and reach.missing == (f"load balancer {[LB_ARN]}",)
