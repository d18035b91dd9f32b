"""Compliance reports: pass, fail, not evaluated, from the posture and the inputs' coverage."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from ecs_exposure.analysis.images.policy import Policy, SignaturePolicy
from ecs_exposure.detectors import references as ref
from ecs_exposure.detectors.containers import ROOT_USER
from ecs_exposure.detectors.frameworks import FRAMEWORKS
from ecs_exposure.detectors.iam import ADMIN
from ecs_exposure.detectors.registry import catalog
from ecs_exposure.exposure.compliance import ComplianceReport, ControlResult, evaluate
from ecs_exposure.model import ScanResult
from support.builders import ACCOUNT, SETTINGS, container, scan_docs, service, task_definition

ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/admin-task"
ADMIN_ROLES = {"RoleDetailList": [{
    "RoleName": "admin-task", "Arn": ROLE_ARN, "RolePolicyList": [],
    "AttachedManagedPolicies": [{"PolicyName": "AdministratorAccess",
                                 "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}]}],
    "Policies": []}


def _scan(*docs: Any, policy: Policy | None = None) -> ScanResult:
    return scan_docs(*docs, settings=replace(SETTINGS, policy=policy or Policy()))


def _report(name: str, result: ScanResult) -> ComplianceReport:
    assert result.coverage is not None
    return evaluate(name, result.posture, result.coverage)


def _control(report: ComplianceReport, control_id: str, title: str = "") -> ControlResult:
    return next(c for c in report.controls
                if c.control.id == control_id and c.control.title.endswith(title))


def test_a_root_container_fails_ecs_20_with_its_evidence() -> None:
    result = _scan({"taskDefinition": task_definition(containers=[container(user="0")])})
    ecs_20 = _control(_report("aws-securityhub-ecs", result), "ECS.20")
    assert ecs_20.status == "fail" and ecs_20.reason == "1 resource fails"
    (failure,) = ecs_20.failures
    assert failure.trait.id == ROOT_USER.id
    assert failure.trait.pointer == "/containerDefinitions/0/user"
    assert [e.name for e in failure.entries] == ["app:1"]


def test_a_non_root_container_passes_ecs_20() -> None:
    result = _scan({"taskDefinition": task_definition()})
    ecs_20 = _control(_report("aws-securityhub-ecs", result), "ECS.20")
    assert ecs_20.status == "pass" and ecs_20.failures == ()
    assert ecs_20.reason == "no failing resource; judged on 1 task definition"


def test_without_resources_of_its_scope_a_control_is_not_evaluated() -> None:
    result = _scan({"taskDefinition": task_definition()})   # no service, no cluster
    report = _report("aws-securityhub-ecs", result)
    for control_id in ("ECS.2", "ECS.10", "ECS.12"):
        assert _control(report, control_id).status == "not-evaluated"
    assert "no services in the inputs" in _control(report, "ECS.2").reason


def test_images_not_inspected_leave_minimal_packages_not_evaluated() -> None:
    result = _scan({"taskDefinition": task_definition()})
    practice = _control(_report("aws-well-architected-sec06-bp02", result), "SEC06-BP02",
                        ref.WA_MINIMAL_PACKAGES.title.split(": ")[1])
    assert practice.status == "not-evaluated"
    assert practice.reason == ("could not be judged: unnecessary-packages: 0 of 1 images "
                               "inspected")


def test_signatures_not_required_leave_the_signature_practice_not_evaluated() -> None:
    pinned = "nginx@sha256:" + "a" * 64
    result = _scan({"taskDefinition": task_definition(containers=[container(image=pinned)])},
                   policy=Policy(signatures=SignaturePolicy(required=False)))
    report = _report("aws-well-architected-sec06-bp02", result)
    signatures = _control(report, "SEC06-BP02", ref.WA_VERIFIED_SIGNATURES.title.split(": ")[1])
    assert signatures.status == "not-evaluated"
    assert "does not require signatures" in signatures.reason
    required = _report("aws-well-architected-sec06-bp02", _scan(
        {"taskDefinition": task_definition(containers=[container(image=pinned)])}))
    assert _control(required, "SEC06-BP02",
                    ref.WA_VERIFIED_SIGNATURES.title.split(": ")[1]).status == "fail"


def test_an_unknown_role_leaves_iam_1_not_evaluated_and_a_known_admin_role_fails_it() -> None:
    td = task_definition(taskRoleArn=ROLE_ARN)
    unknown = _control(_report("aws-securityhub-ecs", _scan({"taskDefinition": td})), "IAM.1")
    assert unknown.status == "not-evaluated"
    assert "0 of 1 IAM roles" in unknown.reason
    known = _control(_report("aws-securityhub-ecs", _scan({"taskDefinition": td}, ADMIN_ROLES)),
                     "IAM.1")
    assert known.status == "fail"
    assert {f.trait.id for f in known.failures} == {ADMIN.id}


def test_a_shared_role_fails_once_with_every_task_definition_using_it() -> None:
    tds = [{"taskDefinition": task_definition(family=f, taskRoleArn=ROLE_ARN)}
           for f in ("a", "b")]
    iam_1 = _control(_report("aws-securityhub-ecs", _scan(*tds, ADMIN_ROLES)), "IAM.1")
    (failure,) = iam_1.failures
    assert (failure.trait.resource, failure.trait.pointer) == (ROLE_ARN,
                                                               "/AttachedManagedPolicies/0")
    assert sorted(e.name for e in failure.entries) == ["a:1", "b:1"]


def test_a_service_public_ip_is_ecs_2_and_a_task_set_public_ip_ecs_16() -> None:
    td = {"taskDefinition": task_definition()}
    report = _report("aws-securityhub-ecs", _scan(td, {"services": [service(public_ip=True)]}))
    assert (_control(report, "ECS.2").status, _control(report, "ECS.16").status) == \
        ("fail", "pass")
    task_set = {"networkConfiguration": {"awsvpcConfiguration": {
        "subnets": ["subnet-pub"], "assignPublicIp": "ENABLED"}}}
    report = _report("aws-securityhub-ecs", _scan(td, {"services": [service(
        taskSets=[task_set])]}))
    assert (_control(report, "ECS.2").status, _control(report, "ECS.16").status) == \
        ("pass", "fail")


def test_the_well_architected_report_has_one_row_per_practice_in_page_order() -> None:
    report = _report("aws-well-architected-sec06-bp02", _scan(
        {"taskDefinition": task_definition()}))
    assert [c.control for c in report.controls] == list(ref.WA_PRACTICES)
    assert report.uncovered == ()


@pytest.mark.parametrize("name", sorted(FRAMEWORKS))
def test_every_framework_lists_covered_and_uncovered_controls_apart(name: str) -> None:
    report = _report(name, _scan({"taskDefinition": task_definition()}))
    covered = {(c.control.id, c.control.title) for c in report.controls}
    uncovered = {(u.control.id, u.control.title) for u in report.uncovered}
    assert covered and not covered & uncovered
    assert all(c.traits for c in report.controls)
    assert sum(report.counts().values()) == len(covered) + len(uncovered)


def test_every_control_a_spec_maps_to_is_in_a_framework() -> None:
    frameworks = {f.framework for f in FRAMEWORKS.values()}
    assert {c.framework for s in catalog() for c in s.controls} <= frameworks
