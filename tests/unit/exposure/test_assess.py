from __future__ import annotations

import pytest

from ecs_exposure.detectors.registry import SPECS
from ecs_exposure.exposure.assess import finding_id, severity_for
from ecs_exposure.model import Level, Severity
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

L, M, H, VH = Level.LOW, Level.MEDIUM, Level.HIGH, Level.VERY_HIGH


@pytest.mark.parametrize("likelihood,impact,severity", [
    (VH, L, Severity.HIGH), (VH, M, Severity.CRITICAL), (VH, H, Severity.CRITICAL),
    (H, L, Severity.MEDIUM), (H, M, Severity.HIGH), (H, H, Severity.CRITICAL),
    (M, L, Severity.LOW), (M, M, Severity.MEDIUM), (M, H, Severity.HIGH),
    (L, L, Severity.LOW), (L, M, Severity.LOW), (L, H, Severity.MEDIUM),
])
def test_security_hub_matrix(likelihood: Level, impact: Level, severity: Severity) -> None:
    assert severity_for(likelihood, impact) is severity


ADMIN_IAM = {"RoleDetailList": [{
    "RoleName": "task", "Arn": f"arn:aws:iam::{ACCOUNT}:role/task",
    "AttachedManagedPolicies": [{"PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}]}],
    "Policies": []}
S3_IAM = {"RoleDetailList": [{
    "RoleName": "task", "Arn": f"arn:aws:iam::{ACCOUNT}:role/task",
    "RolePolicyList": [{"PolicyName": "s3", "PolicyDocument": {"Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}}]}], "Policies": []}


def test_reachable_privileged_admin_service_is_high_with_full_attack_path() -> None:
    result = scan_docs(
        {"taskDefinition": task_definition(taskRoleArn=f"arn:aws:iam::{ACCOUNT}:role/task",
                                           containers=[container("web", privileged=True)])},
        {"services": [service("web", public_ip=True)]},
        {"SecurityGroups": [security_group("sg-1", tcp(80))]}, *network(), ADMIN_IAM)
    finding = result.findings[0]
    assert (finding.likelihood, finding.impact, finding.severity) == (M, H, Severity.HIGH)
    assert finding.reachability == "internet"
    path = " → ".join(finding.attack_path)
    for step in ("internet", "sg-1", "igw-1", "service web", "container web (privileged",
                 "host (privileged container)", "IAM role task", f"AWS account {ACCOUNT}"):
        assert step in path
    assert path.index("internet") < path.index("service web") < path.index("IAM role task")
    assert finding.title.startswith("Internet-reachable ECS service web with")
    assert "Moderate likelihood × high impact = HIGH" in finding.why
    assert finding.id == finding_id(ACCOUNT, "us-east-1", finding.arn)
    assert "update the service" in finding.remediation_summary


def test_contextual_traits_alone_create_no_finding() -> None:
    td = task_definition(containers=[container(user=None, readonlyRootFilesystem=None,
                                               logConfiguration=None)],
                         taskRoleArn="arn:aws:iam::1:role/x")
    result = scan_docs({"taskDefinition": td},
                       {"services": [service(enableExecuteCommand=True)]})
    assert result.findings == ()


def test_the_revision_the_service_runs_is_evaluated_not_the_newest() -> None:
    bad = task_definition("app", 3, containers=[container(privileged=True)])
    good = task_definition("app", 4)
    result = scan_docs({"taskDefinition": bad}, {"taskDefinition": good},
                       {"services": [service(revision=3)]})
    assert [t.id for t in result.findings[0].traits
            if SPECS[t.id].category != "image"] == ["privileged-container"]
    assert [f.name for f in result.task_definition_findings] == []  # rev 4 is clean


def test_every_deployment_revision_is_evaluated() -> None:
    old = task_definition("app", 1, containers=[container(privileged=True)])
    new = task_definition("app", 2)
    svc = service(revision=2, deployments=[
        {"status": "PRIMARY", "taskDefinition": new["taskDefinitionArn"]},
        {"status": "ACTIVE", "taskDefinition": old["taskDefinitionArn"]}])
    result = scan_docs({"taskDefinition": old}, {"taskDefinition": new}, {"services": [svc]})
    finding = result.findings[0]
    assert "privileged-container" in [t.id for t in finding.traits]
    assert finding.task_definitions == (new["taskDefinitionArn"], old["taskDefinitionArn"])


def test_host_mount_becomes_high_with_root_and_writable_container() -> None:
    mount = {"sourceVolume": "v", "containerPath": "/d", "readOnly": True}
    volumes = [{"name": "v", "host": {"sourcePath": "/srv/data"}}]
    hardened = scan_docs({"taskDefinition": task_definition(
        volumes=volumes, containers=[container(mountPoints=[mount])])},
        {"services": [service()]})
    assert hardened.findings[0].impact is M
    rooted = scan_docs({"taskDefinition": task_definition(
        volumes=volumes, containers=[container(mountPoints=[mount], user="0")])},
        {"services": [service()]})
    assert rooted.findings[0].impact is H
    assert "root-user" in rooted.findings[0].why


def test_exec_raises_impact_of_service_admin_role() -> None:
    td = task_definition(taskRoleArn=f"arn:aws:iam::{ACCOUNT}:role/task")
    plain = scan_docs({"taskDefinition": td}, {"services": [service()]}, S3_IAM)
    assert plain.findings[0].impact is M
    with_exec = scan_docs({"taskDefinition": td},
                          {"services": [service(enableExecuteCommand=True)]}, S3_IAM)
    assert with_exec.findings[0].impact is H
    assert "ECS Exec" in with_exec.findings[0].why


def test_plaintext_aws_keys_are_moderate_likelihood_high_impact() -> None:
    td = task_definition(containers=[container(environment=[
        {"name": "AWS_SECRET_ACCESS_KEY", "value": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}])])
    finding = scan_docs({"taskDefinition": td}, {"services": [service()]}).findings[0]
    assert finding.severity is Severity.HIGH
    assert "plaintext AWS access keys" in finding.title


def test_missing_task_definition_and_role_are_named() -> None:
    result = scan_docs({"taskDefinition": task_definition(
        "known", taskRoleArn=f"arn:aws:iam::{ACCOUNT}:role/gone",
        containers=[container(privileged=True)])},
        {"services": [service(family="known"), service("other", family="unknown")]})
    finding = next(f for f in result.findings if f.name == "svc")
    assert "IAM role gone (permissions unknown)" in finding.missing
    assert "Not checked" in finding.why


def test_unattached_task_definitions_reported_separately() -> None:
    result = scan_docs({"family": "draft", "containerDefinitions": [container(privileged=True)]})
    assert result.findings == ()
    finding = result.task_definition_findings[0]
    assert finding.resource_type == "AwsEcsTaskDefinition"
    assert finding.reachability == "unknown"
    assert finding.severity is Severity.HIGH
