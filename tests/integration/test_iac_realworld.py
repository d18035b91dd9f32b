"""CloudFormation templates nobody here wrote (shared/realworld/cloudformation): every one is
read, and the results are what a reviewer would conclude from reading them."""

from __future__ import annotations

import pytest

from support import REALWORLD as SHARED_REALWORLD
from support.iac_helpers import finding, position, scan_paths, traits

REALWORLD = SHARED_REALWORLD / "cloudformation"
pytestmark = pytest.mark.skipif(not REALWORLD.exists(), reason="shared/realworld not present")


def test_every_template_is_read_without_errors() -> None:
    result, inventory, report = scan_paths([REALWORLD])
    assert not report.errors and not report.skipped
    assert len(report.read) == len(list(REALWORLD.iterdir()))
    assert result.services == 5 and len(inventory.security_groups) >= 7
    # Two networking stacks export the same names, so most imports stay ambiguous and the
    # services are *potentially* reachable. Only the private-subnet, private-ALB service
    # imports names that one stack alone exports: its subnets route to a NAT gateway and its
    # load balancer is internal, so it is not reachable despite assignPublicIp ENABLED.
    by_file = {inventory.sources[f.arn].rsplit("/", 1)[-1]: f for f in result.findings}
    private = by_file.pop("fargate-service-stacks-private-subnet-private-loadbalancer.yml")
    assert private.reachability == "internal"
    assert "public-ip" in {t.id for t in private.traits}
    assert {f.reachability for f in by_file.values()} == {"potential"}


def test_public_subnet_service_behind_public_alb_with_its_network_stack() -> None:
    service = REALWORLD / "fargate-service-stacks-public-subnet-public-loadbalancer.yml"
    network = REALWORLD / "fargate-fargate-networking-stacks-public-vpc.yml"
    alone, _, _ = scan_paths([service])
    nginx = finding(alone, "nginx")
    assert nginx.reachability == "potential"
    assert any("FargateContainerSecurityGroup" in m
               for m in traits(nginx, "internet-reachable")[0].missing)
    assert traits(nginx, "public-ip")[0].source == str(service)

    together, _, _ = scan_paths([network, service])
    nginx = finding(together, "nginx")
    assert nginx.reachability == "internet" and not nginx.missing
    reach = traits(nginx, "internet-reachable")[0]
    assert "internet-facing application load balancer" in reach.detail
    open_sg = traits(nginx, "open-security-group")[0]
    assert "PublicLoadBalancerSG" in open_sg.detail and "all traffic" in open_sg.detail
    assert open_sg.source == str(network)
    assert position(open_sg).line == 138                # "- CidrIp: 0.0.0.0/0"
    assert position(traits(nginx, "public-ip")[0]).line == 102     # AssignPublicIp: ENABLED
    # The container security group admits only the ALB and itself: no direct path.
    assert "security group" not in " ".join(nginx.attack_path[1:2]).split("load balancer")[0]


def test_private_load_balancer_stack_is_not_internet_reachable() -> None:
    service = REALWORLD / "fargate-service-stacks-private-subnet-private-loadbalancer.yml"
    network = REALWORLD / "fargate-fargate-networking-stacks-public-private-vpc.yml"
    result, _, _ = scan_paths([network, service])
    assert all(f.reachability != "internet" for f in result.findings)
