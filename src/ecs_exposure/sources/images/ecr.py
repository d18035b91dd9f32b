"""Amazon ECR outputs as inputs: repositories, images, scanning and signing configuration.

Recognised by content (AWS CLI / boto3 shapes, botocore ECR model):

* ``describe-repositories`` → ``{"repositories": [...]}`` (tag mutability, scan-on-push);
* ``describe-images`` → ``{"imageDetails": [...]}`` (digest, tags, push time, last scan);
* ``get-registry-scanning-configuration`` → ``{"registryId", "scanningConfiguration"}``;
* ``batch-get-repository-scanning-configuration`` → ``{"scanningConfigurations": [...]}``;
* ``describe-image-signing-status`` → ``{"repositoryName", "imageId", "signingStatuses"}``.

Timestamps arrive as epoch seconds (raw API), ISO-8601 (CLI v2) or datetimes (boto3).
"""

from __future__ import annotations

from typing import Any

from ecs_exposure.analysis.images.context import EcrRepository
from ecs_exposure.analysis.images.facts import parse_time
from ecs_exposure.analysis.images.reference import parse_reference
from ecs_exposure.inventory import Inventory
from ecs_exposure.sources.context import ReadContext
from ecs_exposure.sources.jsonfile import InputError


def _registry(item: dict[str, Any]) -> str | None:
    """registryId, or the account in the repository ARN/URI."""
    registry = item.get("registryId")
    if isinstance(registry, str) and registry:
        return registry
    arn = item.get("repositoryArn")
    if isinstance(arn, str) and arn.count(":") >= 5:
        return arn.split(":")[4] or None
    uri = item.get("repositoryUri")
    ref = parse_reference(uri) if isinstance(uri, str) else None
    return ref.ecr_registry_id if ref else None


def read_repositories(inventory: Inventory, doc: Any, source: str, context: ReadContext) -> bool:
    """describe-repositories (private or public)."""
    if not (isinstance(doc, dict) and isinstance(doc.get("repositories"), list)):
        return False
    if not all(isinstance(r, dict) and "repositoryName" in r for r in doc["repositories"]):
        raise InputError("'repositories' entries lack repositoryName; not describe-repositories "
                         "output")
    inventory.supplied.add("ecr-repositories")
    for index, repo in enumerate(doc["repositories"]):
        registry = _registry(repo)
        name = repo.get("repositoryName")
        if registry is None or not isinstance(name, str):
            continue
        key = str(repo.get("repositoryArn") or f"{registry}/{name}")
        known = inventory.images.repositories.get((registry, name))
        inventory.images.repositories[(registry, name)] = EcrRepository(
            repo, key, known.scanning if known else None)
        inventory.sources[key] = source
        inventory.prefixes[key] = f"/repositories/{index}"
    return True


def read_images(inventory: Inventory, doc: Any, source: str, context: ReadContext) -> bool:
    """describe-images: tag → digest, push time, and the last scan as a scan record."""
    if not (isinstance(doc, dict) and isinstance(doc.get("imageDetails"), list)):
        return False
    inventory.supplied.add("ecr-images")
    ctx = inventory.images
    for detail in doc["imageDetails"]:
        if not isinstance(detail, dict):
            continue
        registry, name, digest = (detail.get("registryId"), detail.get("repositoryName"),
                                  detail.get("imageDigest"))
        if not (isinstance(registry, str) and isinstance(name, str) and isinstance(digest, str)):
            continue
        digest = digest.lower()
        ctx.images[(registry, name, digest)] = detail
        for tag in detail.get("imageTags") or []:
            if isinstance(tag, str):
                ctx.tags[(registry, name, tag)] = digest
        summary = detail.get("imageScanFindingsSummary")
        completed = parse_time(summary.get("imageScanCompletedAt")) if isinstance(
            summary, dict) else None
        if completed is not None:
            ctx.record_scan(digest, completed, f"ECR describe-images ({source})")
    return True


def read_registry_scanning(inventory: Inventory, doc: Any, source: str,
                           context: ReadContext) -> bool:
    """get-registry-scanning-configuration."""
    if not (isinstance(doc, dict) and isinstance(doc.get("scanningConfiguration"), dict)
            and isinstance(doc.get("registryId"), str)):
        return False
    inventory.supplied.add("ecr-registry-scanning")
    inventory.images.registry_scanning[doc["registryId"]] = doc["scanningConfiguration"]
    return True


def read_repository_scanning(inventory: Inventory, doc: Any, source: str,
                             context: ReadContext) -> bool:
    """batch-get-repository-scanning-configuration (needs repositories to attach to)."""
    if not (isinstance(doc, dict) and isinstance(doc.get("scanningConfigurations"), list)):
        return False
    for item in doc["scanningConfigurations"]:
        if not isinstance(item, dict):
            continue
        registry = _registry(item)
        name = item.get("repositoryName")
        if registry is None or not isinstance(name, str):
            continue
        repo = inventory.images.repositories.get((registry, name))
        if repo is None:
            repo = EcrRepository({"registryId": registry, "repositoryName": name,
                                  "repositoryArn": item.get("repositoryArn")},
                                 str(item.get("repositoryArn") or f"{registry}/{name}"))
            inventory.images.repositories[(registry, name)] = repo
        repo.scanning = item
    return True


def read_signing_status(inventory: Inventory, doc: Any, source: str, context: ReadContext) -> bool:
    """describe-image-signing-status: ECR managed signing (AWS Signer) per image."""
    if not (isinstance(doc, dict) and isinstance(doc.get("signingStatuses"), list)
            and isinstance(doc.get("imageId"), dict)):
        return False
    digest = doc["imageId"].get("imageDigest")
    if isinstance(digest, str):
        inventory.images.signing.setdefault(digest.lower(), []).extend(
            s for s in doc["signingStatuses"] if isinstance(s, dict))
    return True

