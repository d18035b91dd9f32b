"""Unknown is never safe: what a finding depends on but the inputs could not tell is named in
the finding and assessed on the unsafe side (issue 20, item 2)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from ecs_exposure.detectors.network import REACHABLE
from ecs_exposure.model import Finding, Level, ScanResult, Severity
from ecs_exposure.pipeline import scan_inventory
from ecs_exposure.sources.load import demo_paths, load_inputs
from support.builders import (
    ACCOUNT,
    container,
    network,
    scan_docs,
    security_group,
    service,
    task_definition,
    tcp,
)
from support.report_inputs import DEMO_SETTINGS


def test_service_running_a_revision_not_in_the_inputs_gets_a_finding() -> None:
    # Only the newest revision (2) was exported; the service still runs revision 1.
    result = scan_docs({"taskDefinition": task_definition(revision=2)},
                       {"services": [service(revision=1)]},
                       {"SecurityGroups": [security_group("sg-1")]}, *network())
    finding = next(f for f in result.findings if f.name == "svc")
    assert "task definition app:1" in finding.missing
    assert finding.impact is Level.HIGH
    assert finding.severity is Severity.MEDIUM        # low likelihood × assumed high impact
    assert "unknown and assumed the worst" in finding.why
    assert "app:1 is not in the inputs" in finding.why
    assert "impact unknown" in finding.title
    assert "Supply what could not be read" in finding.remediation_summary


def test_the_services_own_reachability_still_counts_with_an_unknown_revision() -> None:
    # The listening ports live in the missing revision: any open port may be listening.
    result = scan_docs({"services": [service(public_ip=True)]},
                       {"SecurityGroups": [security_group("sg-1", tcp(8080))]}, *network())
    finding = result.findings[0]
    assert finding.reachability == "potential"
    assert finding.severity is Severity.HIGH           # moderate × assumed high
    reach = next(t for t in finding.traits if t.id == REACHABLE.id)
    assert reach.potential
    assert "listening ports (task definition app:1 not in the inputs)" in reach.missing


def test_known_revision_keeps_its_own_assessment() -> None:
    result = scan_docs({"taskDefinition": task_definition(containers=[container()])},
                       {"services": [service()]},
                       {"SecurityGroups": [security_group("sg-1")]}, *network())
    assert result.findings == ()


LB_ARN = "arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/pub/1"
TG_ARN = "arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/tg/1"
ADMIN_IAM = {"RoleDetailList": [{
    "RoleName": "task", "Arn": f"arn:aws:iam::{ACCOUNT}:role/task",
    "AttachedManagedPolicies": [{"PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}]}],
    "Policies": []}


def _behind_alb(lb: dict[str, Any], listener: dict[str, Any],
                target_group: dict[str, Any] | None = None) -> ScanResult:
    """A privileged admin service in a private subnet behind an ALB open on 443."""
    return scan_docs(
        {"taskDefinition": task_definition(taskRoleArn=f"arn:aws:iam::{ACCOUNT}:role/task",
                                           containers=[container(privileged=True)])},
        {"services": [service(subnets=("subnet-priv",), loadBalancers=[
            {"targetGroupArn": TG_ARN, "containerName": "app", "containerPort": 80}])]},
        {"SecurityGroups": [security_group("sg-1"), security_group("sg-alb", tcp(443))]},
        *network(), ADMIN_IAM,
        {"LoadBalancers": [{"LoadBalancerArn": LB_ARN, "LoadBalancerName": "pub",
                            "Type": "application", "SecurityGroups": ["sg-alb"], **lb}]},
        {"TargetGroups": [{"TargetGroupArn": TG_ARN, "TargetGroupName": "tg",
                           "LoadBalancerArns": [LB_ARN], **(target_group or {})}]},
        {"Listeners": [{"ListenerArn": LB_ARN.replace("loadbalancer", "listener") + "/l1",
                        "LoadBalancerArn": LB_ARN, "Protocol": "HTTPS",
                        "DefaultActions": [{"Type": "forward", "TargetGroupArn": TG_ARN}],
                        **listener}]})


def test_load_balancer_behind_alb_is_reachable_when_everything_is_readable() -> None:
    finding = _behind_alb({"Scheme": "internet-facing"}, {"Port": 443}).findings[0]
    assert finding.reachability == "internet"


def test_load_balancer_without_a_scheme_is_assumed_internet_facing() -> None:
    for lb in ({}, {"Scheme": None}, {"Scheme": 7}, {"Scheme": "garbled"}):
        finding = _behind_alb(lb, {"Port": 443}).findings[0]
        assert finding.reachability == "potential", lb
        assert finding.severity is Severity.HIGH, lb
        reach = next(t for t in finding.traits if t.id == REACHABLE.id)
        assert any(m.startswith("scheme of load balancer pub") for m in reach.missing), lb


def test_target_group_without_readable_load_balancers_is_potential() -> None:
    for target_group in ({"LoadBalancerArns": None}, {"LoadBalancerArns": LB_ARN}):
        finding = _behind_alb({"Scheme": "internet-facing"}, {"Port": 443},
                              target_group).findings[0]
        assert finding.reachability == "potential", target_group
        reach = next(t for t in finding.traits if t.id == REACHABLE.id)
        assert "load balancer of target group tg (not in the answer)" in reach.missing


def test_listener_without_a_port_may_listen_on_any_open_port() -> None:
    for listener in ({}, {"Port": None}, {"Port": "443"}):
        finding = _behind_alb({"Scheme": "internet-facing"}, listener).findings[0]
        assert finding.reachability == "potential", listener
        assert finding.severity is Severity.HIGH, listener
        reach = next(t for t in finding.traits if t.id == REACHABLE.id)
        assert "port of listener l1 of load balancer pub (not in the answer or unreadable)" \
            in reach.missing, listener


def _garbled_demo(tmp_path: Path, folder: str, name: str,
                  garble: Callable[[Any], None]) -> dict[str, Finding]:
    """The demo estate with one of its files garbled by ``garble``, scanned."""
    with ExitStack() as stack:
        for path in demo_paths(stack):
            shutil.copytree(path, tmp_path / path.name)
    target = tmp_path / folder / name
    doc = json.loads(target.read_text())
    garble(doc)
    target.write_text(json.dumps(doc))
    inventory, _ = load_inputs(sorted(p for p in tmp_path.iterdir() if p.is_dir()))
    return {f.name: f for f in scan_inventory(inventory, DEMO_SETTINGS).findings}


def test_route_table_without_a_usable_id_leaves_its_subnets_unknown(tmp_path: Path) -> None:
    # legacy-admin's only path is its public IP in a subnet of the public route table.
    def garble(doc: Any) -> None:
        for table in doc["RouteTables"]:
            if table["RouteTableId"] == "rtb-0demopublic000001":
                table["RouteTableId"] = 12345
    clean = _garbled_demo(tmp_path / "clean", "ec2", "describe-route-tables.json",
                          lambda doc: None)
    garbled = _garbled_demo(tmp_path / "garbled", "ec2", "describe-route-tables.json", garble)
    for name, finding in clean.items():
        assert garbled[name].severity >= finding.severity, name
    admin = garbled["legacy-admin"]
    assert (clean["legacy-admin"].reachability, admin.reachability) == ("internet", "potential")
    reach = next(t for t in admin.traits if t.id == REACHABLE.id)
    assert any(m.startswith("route table of subnet subnet-0demopub") and "12345" in m
               for m in reach.missing)


def test_unreadable_default_route_is_unknown() -> None:
    for routes in ([{"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": 7}], ["garbled"], None):
        docs = network()
        docs[1]["RouteTables"][0]["Routes"] = routes
        finding = scan_docs({"taskDefinition": task_definition()},
                            {"services": [service(public_ip=True)]},
                            {"SecurityGroups": [security_group("sg-1", tcp(80))]},
                            *docs).findings[0]
        assert finding.reachability == "potential", routes
        assert "route table of subnet subnet-pub" in next(
            t for t in finding.traits if t.id == REACHABLE.id).missing


def _with_role(role: dict[str, Any]) -> ScanResult:
    """An internal service whose only weakness would be its task role."""
    return scan_docs(
        {"taskDefinition": task_definition(taskRoleArn=f"arn:aws:iam::{ACCOUNT}:role/task")},
        {"services": [service()]}, {"SecurityGroups": [security_group("sg-1")]}, *network(),
        {"RoleDetailList": [{"RoleName": "task", "Arn": f"arn:aws:iam::{ACCOUNT}:role/task",
                             **role}], "Policies": [
            {"Arn": f"arn:aws:iam::{ACCOUNT}:policy/team", "PolicyName": "team",
             "DefaultVersionId": "v1", "PolicyVersionList": [
                 {"VersionId": "v1", "IsDefaultVersion": True, "Document": "{garbled"}]}]})


def test_role_readable_and_harmless_gives_no_finding() -> None:
    assert _with_role({"RolePolicyList": [{"PolicyName": "logs", "PolicyDocument": {
        "Statement": [{"Effect": "Allow", "Action": "logs:PutLogEvents",
                       "Resource": "*"}]}}]}).findings == ()


def test_role_whose_policy_does_not_parse_has_unknown_permissions() -> None:
    for role in ({"RolePolicyList": [{"PolicyName": "p", "PolicyDocument": "%7Bgarbled"}]},
                 {"AttachedManagedPolicies": [
                     {"PolicyArn": f"arn:aws:iam::{ACCOUNT}:policy/team"}]}):
        finding = _with_role(role).findings[0]
        assert finding.impact is Level.HIGH, role
        assert any("of IAM role task does not parse" in m for m in finding.missing), role
        assert "unknown and assumed the worst" in finding.why


def test_role_with_a_null_arn_has_unknown_permissions() -> None:
    finding = _with_role({"Arn": None, "AttachedManagedPolicies": [
        {"PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}]}).findings[0]
    assert finding.impact is Level.HIGH
    assert any(m.startswith("IAM role task could not be read") for m in finding.missing)
