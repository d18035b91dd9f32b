"""Posture: every trait of every resource is in the result, findings or not."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from ecs_exposure.analysis.images.policy import Policy, PolicyException
from ecs_exposure.detectors.containers import PRIVILEGED, ROOT_USER, WRITABLE_ROOT
from ecs_exposure.detectors.credentials import PLAINTEXT
from ecs_exposure.detectors.network import OPEN_SG, PUBLIC_IP
from ecs_exposure.detectors.settings import EFS, INSIGHTS, LOGS
from ecs_exposure.detectors.vulnerabilities import EXPLOITABLE
from ecs_exposure.exposure.posture import (
    CLUSTER,
    SERVICE,
    TASK_DEFINITION,
    entry_severity,
    severity_of,
)
from ecs_exposure.model import Level, PostureEntry, ScanResult, Severity, Trait
from support.builders import (
    ACCOUNT,
    CLUSTER_ARN,
    REGION,
    SETTINGS,
    container,
    scan_docs,
    service,
    task_definition,
)

ROOT_CONTAINER = container(user=None, readonlyRootFilesystem=None)
"""A container whose only weaknesses are contextual: root user, writable root filesystem."""


def _entry(result: ScanResult, kind: str, name: str) -> PostureEntry:
    return next(e for e in result.posture if e.resource_type == kind and e.name == name)


def _ids(entry: PostureEntry) -> set[str]:
    return {t.id for t in entry.traits}


def test_a_task_definition_with_only_contextual_traits_is_in_the_posture() -> None:
    result = scan_docs({"taskDefinition": task_definition(containers=[ROOT_CONTAINER])})
    assert result.findings == () and result.task_definition_findings == ()
    entry = _entry(result, TASK_DEFINITION, "app:1")
    assert {ROOT_USER.id, WRITABLE_ROOT.id} <= _ids(entry)
    assert entry.arn == f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/app:1"
    assert (entry.account, entry.region, entry.finding) == (ACCOUNT, REGION, None)


def test_an_efs_volume_without_transit_encryption_and_no_service() -> None:
    td = task_definition(volumes=[{"name": "data", "efsVolumeConfiguration": {
        "fileSystemId": "fs-1", "transitEncryption": "DISABLED"}}])
    result = scan_docs({"taskDefinition": td})
    entry = _entry(result, TASK_DEFINITION, "app:1")
    efs = next(t for t in entry.traits if t.id == EFS.id)
    assert efs.pointer == "/volumes/0/efsVolumeConfiguration"
    assert efs.source == "input-0.json" and efs.file_pointer is not None
    assert result.findings == () and result.task_definition_findings == ()


def test_a_cluster_no_service_runs_in_is_judged() -> None:
    cluster = {"clusterArn": CLUSTER_ARN, "clusterName": "prod", "settings": [
        {"name": "containerInsights", "value": "disabled"}]}
    result = scan_docs({"clusters": [cluster]})
    entry = _entry(result, CLUSTER, "prod")
    assert _ids(entry) == {INSIGHTS.id} and entry.arn == CLUSTER_ARN


def test_a_service_entry_lists_its_own_traits_and_names_its_revisions() -> None:
    td = task_definition(containers=[container(privileged=True)])
    cluster = {"clusterArn": CLUSTER_ARN, "clusterName": "prod", "settings": []}
    result = scan_docs({"taskDefinition": td}, {"services": [service(public_ip=True)]},
                       {"clusters": [cluster]})
    svc = _entry(result, SERVICE, "svc")
    revision = _entry(result, TASK_DEFINITION, "app:1")
    assert PUBLIC_IP.id in _ids(svc)
    assert not _ids(svc) & (_ids(revision) | {INSIGHTS.id})   # listed on their own entries
    assert svc.task_definitions == (td["taskDefinitionArn"],)
    assert svc.cluster == "prod"
    finding = result.findings[0]
    assert svc.finding == finding.id == svc.id
    assert PRIVILEGED.id in _ids(revision) and revision.finding is None
    assert _ids(_entry(result, CLUSTER, "prod")) == {INSIGHTS.id}
    # Every trait of the finding is in the posture, on the entry that carries it.
    listed = [t for e in result.posture for t in e.traits]
    assert all(t in listed for t in finding.traits)


def test_a_shared_task_definition_is_listed_once() -> None:
    td = task_definition(containers=[ROOT_CONTAINER])
    services = [service(name=f"svc-{i}") for i in range(3)]
    result = scan_docs({"taskDefinition": td}, {"services": services})
    revisions = [e for e in result.posture if e.resource_type == TASK_DEFINITION]
    assert len(revisions) == 1
    assert not any(e.resource_type == SERVICE for e in result.posture)


def test_a_resource_without_a_trait_is_left_out() -> None:
    cluster = {"clusterArn": CLUSTER_ARN, "clusterName": "prod", "settings": [
        {"name": "containerInsights", "value": "enabled"}]}
    result = scan_docs({"taskDefinition": task_definition()}, {"services": [service()]},
                       {"clusters": [cluster]})
    assert [e.resource_type for e in result.posture] == [TASK_DEFINITION]   # image traits


def _waived(*services: dict[str, Any]) -> ScanResult:
    policy = Policy(exceptions=(PolicyException(
        (ROOT_USER.id,), "legacy image, rebuild tracked", date(2099, 1, 1), "legacy"),))
    return scan_docs({"taskDefinition": task_definition(containers=[ROOT_CONTAINER])},
                     {"services": list(services)}, settings=replace(SETTINGS, policy=policy))


def test_a_trait_waived_for_every_service_running_it_is_left_out() -> None:
    entry = _entry(_waived(service(name="legacy")), TASK_DEFINITION, "app:1")
    assert ROOT_USER.id not in _ids(entry) and WRITABLE_ROOT.id in _ids(entry)


def test_a_trait_waived_for_one_of_two_services_stays() -> None:
    entry = _entry(_waived(service(name="legacy"), service(name="web")),
                   TASK_DEFINITION, "app:1")
    assert ROOT_USER.id in _ids(entry)


def _trait(trait_id: str, impact: Level = Level.LOW) -> Trait:
    return Trait(trait_id, "arn", "/x", "detail", impact=impact)


def test_severity_of_a_trait_listed_alone() -> None:
    assert severity_of(_trait(ROOT_USER.id)) == Severity.LOW          # contextual
    assert severity_of(_trait(LOGS.id)) == Severity.LOW
    assert severity_of(_trait(OPEN_SG.id)) == Severity.MEDIUM  # not contextual
    assert severity_of(_trait(OPEN_SG.id, Level.MEDIUM)) == Severity.MEDIUM
    assert severity_of(_trait(PUBLIC_IP.id)) == Severity.HIGH         # weighed: CSPM ECS.2
    assert severity_of(_trait(PLAINTEXT.id, Level.MEDIUM)) == Severity.HIGH  # CSPM ECS.8
    assert severity_of(_trait(PLAINTEXT.id, Level.HIGH)) == Severity.HIGH  # an AWS key
    assert severity_of(_trait(PRIVILEGED.id, Level.HIGH)) == Severity.HIGH
    assert severity_of(_trait(EXPLOITABLE.id)) == Severity.HIGH       # the spec's weight


def test_an_entry_is_as_severe_as_its_worst_trait() -> None:
    result = scan_docs({"taskDefinition": task_definition(
        containers=[container(user=None, privileged=True)])})
    assert entry_severity(_entry(result, TASK_DEFINITION, "app:1")) == Severity.HIGH
