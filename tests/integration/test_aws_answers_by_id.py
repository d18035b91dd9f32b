"""Every describe-by-id answer of live collection is checked against what was asked (issue 20,
item 2): ECS tasks, ELBv2 target groups and load balancers, EC2 security groups, subnets,
route tables and network interfaces, IAM roles and policies, ECR repositories and images.

Each case lets moto answer, then drops one requested id from the body (or the document the
answer should hold). The id must come back as an error of that call in its account and
region, the services that read it must be incomplete, and no finding may lose severity:
unknown is never safe."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from ecs_exposure.inventory import Inventory
from ecs_exposure.model import Json
from ecs_exposure.sources.aws.collector import collect
from ecs_exposure.sources.aws.options import CollectOptions
from ecs_exposure.sources.aws.snapshot import load_snapshot
from ecs_exposure.sources.readers import read_context
from support.aws_fixtures import ACCOUNT, Estate, Fault, Faults, MotoServer
from support.builders import scan_json

REGION = "us-east-1"
RANK = {"INFO": 0, "LOW": 1, "MEDIUM": 2, "HIGH": 3, "CRITICAL": 4}
Editor = Callable[[bytes], bytes]


def scan(snapshot: Json) -> dict[str, Any]:
    inventory = Inventory()
    load_snapshot(inventory, snapshot, None, read_context())
    return scan_json(inventory)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _xml(change: Callable[[ET.Element], None]) -> Editor:
    """An answer rewriter for the query/EC2 XML protocols: ``change`` edits the tree."""
    def answer(body: bytes) -> bytes:
        root = ET.fromstring(body)
        if root.tag.startswith("{"):
            ET.register_namespace("", root.tag[1:].split("}", 1)[0])
        change(root)
        return ET.tostring(root)
    return answer


def drop_xml(container: str, id_tag: str, value: str) -> Editor:
    """Remove the entries of ``container`` whose ``id_tag`` child is ``value``."""
    def change(root: ET.Element) -> None:
        for holder in root.iter():
            if _local(holder.tag) == container:
                for entry in list(holder):
                    if any(_local(c.tag) == id_tag and c.text == value for c in entry):
                        holder.remove(entry)
    return _xml(change)


def remove_xml(tag: str) -> Editor:
    """Remove every ``tag`` element (the document an answer should hold)."""
    def change(root: ET.Element) -> None:
        for parent in list(root.iter()):
            for child in list(parent):
                if _local(child.tag) == tag:
                    parent.remove(child)
    return _xml(change)


def retext_xml(tag: str, old: str, new: str) -> Editor:
    def change(root: ET.Element) -> None:
        for element in root.iter():
            if _local(element.tag) == tag and element.text == old:
                element.text = new
    return _xml(change)


def edit_json(change: Callable[[Json], None]) -> Editor:
    def answer(body: bytes) -> bytes:
        doc = json.loads(body)
        change(doc)
        return json.dumps(doc).encode()
    return answer


@dataclass(frozen=True)
class Baseline:
    """The undisturbed collection of the region: ids to drop and severities to keep."""

    snapshot: Json

    @property
    def region(self) -> Json:
        return dict(self.snapshot["accounts"][ACCOUNT]["regions"][REGION])

    def service(self, name: str) -> Json:
        return next(s for s in self.region["ecs"]["describe-services"]["services"]
                    if s["serviceName"] == name)

    def awsvpc(self, name: str) -> Json:
        return dict(self.service(name)["networkConfiguration"]["awsvpcConfiguration"])

    def vpc_of(self, subnet: str) -> str:
        return next(str(s["VpcId"]) for s in self.region["ec2"]["describe-subnets"]["Subnets"]
                    if s["SubnetId"] == subnet)

    def task_of(self, name: str) -> Json:
        return next(t for t in self.region["ecs"]["describe-tasks"]["tasks"]
                    if t["group"] == f"service:{name}")

    def severities(self) -> dict[str, str]:
        return {f["resource"]["name"]: f["severity"] for f in scan(self.snapshot)["findings"]}


@pytest.fixture(scope="module")
def baseline(aws_estate: Estate, moto_server: MotoServer) -> Baseline:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in moto_server.env().items():
            patch.setenv(name, value)
        moto_server.faults.clear()
        snapshot = collect(CollectOptions(regions=(REGION,)))
    assert snapshot["errors"] == [] and snapshot["incomplete"] == []
    return Baseline(snapshot)


def _eni(task: Json) -> str:
    return next(d["value"] for a in task["attachments"] for d in a["details"]
                if d["name"] == "networkInterfaceId")


@dataclass(frozen=True)
class Case:
    """One answer that leaves a requested id out."""

    service: str
    """Signing name the fault matches (``elasticloadbalancing`` for ELBv2)."""
    operation: str
    ident: Callable[[Baseline], str]
    """The id the answer leaves out, read from the baseline."""
    editor: Callable[[str], Editor]
    affected: str
    """The service that reads it and must be incomplete."""
    why: str = "absent from the answer"


TG = "targetgroup/public-alb-tg"
CASES = {
    "ecs DescribeTasks (absent)": Case(
        "ecs", "DescribeTasks", lambda b: str(b.task_of("public-api")["taskArn"]),
        lambda arn: edit_json(lambda d: d.update(tasks=[t for t in d["tasks"]
                                                        if t["taskArn"] != arn])),
        "public-api"),
    "ecs DescribeTasks (failures)": Case(
        "ecs", "DescribeTasks", lambda b: str(b.task_of("public-api")["taskArn"]),
        lambda arn: edit_json(lambda d: d.update(
            tasks=[t for t in d["tasks"] if t["taskArn"] != arn],
            failures=[{"arn": arn, "reason": "MISSING"}])),
        "public-api", "listed under failures: MISSING"),
    "elbv2 DescribeTargetGroups": Case(
        "elasticloadbalancing", "DescribeTargetGroups",
        lambda b: str(b.service("storefront")["loadBalancers"][0]["targetGroupArn"]),
        lambda arn: drop_xml("TargetGroups", "TargetGroupArn", arn), "storefront"),
    "elbv2 DescribeLoadBalancers": Case(
        "elasticloadbalancing", "DescribeLoadBalancers",
        lambda b: str(b.region["elbv2"]["describe-target-groups"]["TargetGroups"][0][
            "LoadBalancerArns"][0]),
        lambda arn: drop_xml("LoadBalancers", "LoadBalancerArn", arn), "storefront"),
    "ec2 DescribeSecurityGroups": Case(
        "ec2", "DescribeSecurityGroups", lambda b: str(b.awsvpc("public-api")["securityGroups"][0]),
        lambda sg: drop_xml("securityGroupInfo", "groupId", sg), "public-api"),
    "ec2 DescribeSubnets": Case(
        "ec2", "DescribeSubnets", lambda b: str(b.awsvpc("public-api")["subnets"][0]),
        lambda subnet: drop_xml("subnetSet", "subnetId", subnet), "public-api"),
    "ec2 DescribeRouteTables": Case(
        "ec2", "DescribeRouteTables",
        lambda b: b.vpc_of(str(b.awsvpc("public-api")["subnets"][0])),
        lambda vpc: drop_xml("routeTableSet", "vpcId", vpc), "public-api"),
    "ec2 DescribeNetworkInterfaces": Case(
        "ec2", "DescribeNetworkInterfaces", lambda b: _eni(b.task_of("public-api")),
        lambda eni: drop_xml("networkInterfaceSet", "networkInterfaceId", eni), "public-api"),
    "ecr DescribeRepositories": Case(
        "ecr", "DescribeRepositories", lambda b: "api",
        lambda name: edit_json(lambda d: d.update(repositories=[
            r for r in d["repositories"] if r["repositoryName"] != name])), "public-api"),
    "ecr DescribeImages": Case(
        "ecr", "DescribeImages", lambda b: "storefront@7",
        lambda _: edit_json(lambda d: d.update(imageDetails=[])), "storefront"),
}


def _check(snapshot: Json, baseline: Baseline, operation: str, ident: str, why: str,
           affected: str, region: str | None = REGION) -> dict[str, Any]:
    errors = [e for e in snapshot["errors"] if e["operation"].endswith(f":{operation}")]
    assert errors, snapshot["errors"]
    assert all(e["account"] == ACCOUNT and e["region"] == region for e in errors)
    assert any(f"{ident} ({why})" in e["message"] and "UnreadableAnswer" in e["message"]
               for e in errors), errors
    result = scan(snapshot)
    incomplete = {i["resource"]: i["reasons"] for i in result["incomplete"]}
    arn = str(baseline.service(affected)["serviceArn"])
    assert any(f"{operation}: UnreadableAnswer" in r for r in incomplete.get(arn, [])), incomplete
    severities = {f["resource"]["name"]: f["severity"] for f in result["findings"]}
    for name, severity in baseline.severities().items():   # unknown is never safe
        assert RANK[severities.get(name, "INFO")] >= RANK[severity], (name, severities)
    return result


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_an_id_left_out_of_a_describe_is_an_error_and_its_services_incomplete(
        aws_env: dict[str, str], aws_faults: Faults, baseline: Baseline, case: Case) -> None:
    ident = case.ident(baseline)
    aws_faults.add(Fault("", service=case.service, operation=case.operation, region=REGION,
                         answer=case.editor(ident)))
    snapshot = collect(CollectOptions(regions=(REGION,)))
    _check(snapshot, baseline, case.operation, ident, case.why, case.affected)


def test_a_dropped_security_group_keeps_the_service_reachable(
        aws_env: dict[str, str], aws_faults: Faults, baseline: Baseline) -> None:
    group = str(baseline.awsvpc("public-api")["securityGroups"][0])
    aws_faults.add(Fault("", service="ec2", operation="DescribeSecurityGroups", region=REGION,
                         answer=drop_xml("securityGroupInfo", "groupId", group)))
    result = scan(collect(CollectOptions(regions=(REGION,))))
    api = next(f for f in result["findings"] if f["resource"]["name"] == "public-api")
    assert api["reachability"] in ("internet", "potential")
    assert f"security group {group}" in json.dumps(api)


IAM_CASES = {
    "GetRole answers another role": (
        "GetRole", lambda: retext_xml("RoleName", "storefront-task", "someone-else"),
        "role/storefront-task", "the answer holds another role ('someone-else')",
        "storefront", "storefront-task"),
    "GetRole answers no role": (
        "GetRole", lambda: remove_xml("Role"), "role/storefront-task",
        "the answer holds no role", "storefront", "storefront-task"),
    "GetRolePolicy answers no document": (
        "GetRolePolicy", lambda: remove_xml("PolicyDocument"), "api-task/s3-all",
        "the answer holds no document of that policy", "public-api", "api-task"),
    "GetPolicy answers no policy": (
        "GetPolicy", lambda: remove_xml("Policy"), "policy/AdministratorAccess",
        "the answer holds no policy", "storefront", "storefront-task"),
    "GetPolicyVersion answers no document": (
        "GetPolicyVersion", lambda: remove_xml("Document"), "policy/AdministratorAccess",
        "the answer holds no document of version", "storefront", "storefront-task"),
}


@pytest.mark.parametrize("case", IAM_CASES.values(), ids=IAM_CASES.keys())
def test_an_iam_answer_without_what_was_asked_is_an_error_and_the_role_unknown(
        aws_env: dict[str, str], aws_faults: Faults, baseline: Baseline,
        case: tuple[str, Callable[[], Editor], str, str, str, str]) -> None:
    operation, editor, ident, why, affected, role = case
    aws_faults.add(Fault("", service="iam", operation=operation, answer=editor()))
    snapshot = collect(CollectOptions(regions=(REGION,)))
    errors = [e for e in snapshot["errors"] if e["operation"] == f"iam:{operation}"]
    assert errors and all(e["account"] == ACCOUNT and e["region"] is None for e in errors)
    assert any(ident in e["message"] and why in e["message"] for e in errors), errors
    result = _check_iam(snapshot, baseline, operation, affected)
    finding = next(f for f in result["findings"] if f["resource"]["name"] == affected)
    assert finding["impact"] == "high"
    assert any(role in m and "unknown" in m for m in finding["missing"]), finding["missing"]


def _check_iam(snapshot: Json, baseline: Baseline, operation: str,
               affected: str) -> dict[str, Any]:
    result = scan(snapshot)
    incomplete = {i["resource"]: i["reasons"] for i in result["incomplete"]}
    arn = str(baseline.service(affected)["serviceArn"])
    assert any(f"iam:{operation}: UnreadableAnswer" in r for r in incomplete.get(arn, []))
    severities = {f["resource"]["name"]: f["severity"] for f in result["findings"]}
    for name, severity in baseline.severities().items():
        assert RANK[severities.get(name, "INFO")] >= RANK[severity], (name, severities)
    return result
