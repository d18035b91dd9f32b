"""Coverage: how much of what the estate refers to the inputs supplied."""

from __future__ import annotations

from datetime import UTC, datetime

from ecs_exposure.exposure.coverage import coverage
from ecs_exposure.model import ImageCoverage
from support.builders import ACCOUNT, SETTINGS, container, inventory_of, service, task_definition

ROLE = f"arn:aws:iam::{ACCOUNT}:role/known"
ROLES = {"RoleDetailList": [{"RoleName": "known", "Arn": ROLE, "RolePolicyList": [],
                             "AttachedManagedPolicies": []}], "Policies": []}
ECR_IMAGE = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/app:1.0"


def test_roles_and_security_groups_named_and_found() -> None:
    td = task_definition(taskRoleArn=ROLE,
                         executionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/unknown")
    inventory = inventory_of({"taskDefinition": td}, ROLES,
                             {"services": [service(groups=("sg-1", "sg-2"))]},
                             {"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": []}]})
    found = coverage(inventory, SETTINGS.policy, inventory.reports_covering)
    assert (found.task_definitions, found.services, found.clusters) == (1, 1, 0)
    assert found.roles == (1, 2) and found.security_groups == (1, 2)
    assert found.signature_policy is True


def test_each_distinct_image_once_with_what_is_known_of_it() -> None:
    tds = [{"taskDefinition": task_definition(family=f, containers=[
        container(image=ECR_IMAGE), container("side", image="nginx:1.27")])} for f in "ab"]
    pushed = {"imageDetails": [{
        "registryId": ACCOUNT, "repositoryName": "app", "imageDigest": "sha256:" + "1" * 64,
        "imageTags": ["1.0"], "imagePushedAt": datetime(2026, 1, 1, tzinfo=UTC).isoformat()}]}
    inventory = inventory_of(*tds, pushed)
    found = coverage(inventory, SETTINGS.policy, inventory.reports_covering)
    assert found.images == (
        ImageCoverage(ECR_IMAGE, contents=False, metadata=True, reports=False),
        ImageCoverage("nginx:1.27", contents=False, metadata=False, reports=False))
