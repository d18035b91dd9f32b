"""What the scan's inputs let it judge, for compliance reports.

A detector that needs more than its resource (an IAM role's policies, a security group's
rules, an image's file tree, a vulnerability report) cannot fire without it, so "no trait"
then proves nothing. :class:`~ecs_exposure.model.Coverage` records, per such input, how much
of what the estate refers to was supplied; compliance reports a control whose traits could not
all be judged as *not evaluated*, never as passed.
"""

from __future__ import annotations

from collections.abc import Callable

from ecs_exposure.analysis.images.context import task_arch
from ecs_exposure.analysis.images.policy import Policy
from ecs_exposure.analysis.images.reference import parse_reference
from ecs_exposure.detectors.util import as_dict, as_list, containers
from ecs_exposure.inventory import Inventory
from ecs_exposure.model import Coverage, ImageCoverage


def _roles(inventory: Inventory) -> tuple[int, int]:
    named = {ref for td in inventory.task_definitions.values()
             for field in ("taskRoleArn", "executionRoleArn")
             if isinstance(ref := td.get(field), str) and ref}
    return sum(1 for ref in named if inventory.role(ref) is not None), len(named)


def _security_groups(inventory: Inventory) -> tuple[int, int]:
    named: set[str] = set()
    for service in inventory.services.values():
        configs = [service.get("networkConfiguration")] + [
            as_dict(task_set).get("networkConfiguration")
            for task_set in as_list(service.get("taskSets"))]
        for config in configs:
            groups = as_dict(as_dict(config).get("awsvpcConfiguration")).get("securityGroups")
            named.update(g for g in as_list(groups) if isinstance(g, str))
    return sum(1 for g in named if g in inventory.security_groups), len(named)


def _images(inventory: Inventory, reports_covering: Callable[[str], list[str]]
            ) -> tuple[ImageCoverage, ...]:
    """One entry per distinct image reference (judged for the CPU of the first task
    definition running it, as the image detector judges each)."""
    found: dict[str, ImageCoverage] = {}
    images = inventory.images
    for td in inventory.task_definitions.values():
        arch = task_arch(td)
        for _, container in containers(td):
            image = container.get("image")
            if not isinstance(image, str) or not image or image in found:
                continue
            ref = parse_reference(image)
            if ref is None:
                continue
            facts = images.facts_for(ref, arch)
            detail = images.ecr_image(ref)
            found[image] = ImageCoverage(
                image=image,
                contents=facts is not None and facts.inspected,
                metadata=(facts is not None and facts.created is not None)
                or bool(detail and detail.get("imagePushedAt")),
                reports=bool(reports_covering(image)),
            )
    return tuple(found.values())


def coverage(inventory: Inventory, policy: Policy,
             reports_covering: Callable[[str], list[str]]) -> Coverage:
    """What ``inventory`` supplies for the detectors' needs under ``policy``;
    ``reports_covering(image)`` lists the vulnerability reports that match an image."""
    return Coverage(
        task_definitions=len(inventory.task_definitions),
        services=len(inventory.services),
        clusters=len(inventory.clusters),
        roles=_roles(inventory),
        security_groups=_security_groups(inventory),
        signature_policy=policy.signatures.required,
        images=_images(inventory, reports_covering),
    )


__all__ = ["coverage"]
