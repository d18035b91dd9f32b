"""ECR documents as inputs, scan-coverage rules, scan dates as the vulnerability hook."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ecs_exposure.analysis.images.evaluate import evaluate
from ecs_exposure.analysis.images.reference import parse_reference
from ecs_exposure.detectors.images import CHECKS
from ecs_exposure.inventory import Inventory
from ecs_exposure.settings import ScanSettings
from ecs_exposure.sources.classify import classify
from support.builders import ACCOUNT, REGION, inventory_of

NOW = datetime(2026, 11, 28, tzinfo=UTC)
ECR = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"


def repo(name: str, **fields: Any) -> dict[str, Any]:
    base = {"repositoryArn": f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{name}",
            "registryId": ACCOUNT, "repositoryName": name, "repositoryUri": f"{ECR}/{name}",
            "imageTagMutability": "MUTABLE", "imageScanningConfiguration": {"scanOnPush": False}}
    base.update(fields)
    return base


def verdicts(inventory: Inventory, image: str) -> dict[str, str]:
    """The image's verdicts, evaluated afresh (no memo) at :data:`NOW`."""
    result = evaluate(image, inventory.images, ScanSettings(now=NOW), inventory.accounts(),
                      reports_covering=inventory.reports_covering)
    assert result is not None
    out: dict[str, str] = {}
    for verdict in result.verdicts:
        trait = CHECKS[verdict.check].id
        out[trait] = (out.get(trait, "") + " | " + verdict.detail).strip(" |")
    return out


def test_ecr_documents_are_read_not_skipped() -> None:
    for doc in ({"repositories": []}, {"imageDetails": []}):
        assert "does not read" not in classify(doc).reason
    inventory = inventory_of({"repositories": [repo("web")]}, {"imageDetails": [
        {"registryId": ACCOUNT, "repositoryName": "web", "imageDigest": "sha256:" + "a" * 64,
         "imageTags": ["1.0", "latest"], "imagePushedAt": "2026-11-20T10:00:00.123+00:00",
         "imageScanFindingsSummary": {"imageScanCompletedAt": 1795000000.0}}]})
    images = inventory.images
    assert (ACCOUNT, "web") in images.repositories
    assert images.tags[(ACCOUNT, "web", "latest")] == "sha256:" + "a" * 64
    assert ACCOUNT in inventory.accounts()
    ref = parse_reference(f"{ECR}/web:1.0")
    assert ref is not None and images.digests(ref) == ["sha256:" + "a" * 64]
    newest = images.newest_scan(images.digests(ref))
    assert newest is not None and newest.completed_at.year == 2026
    assert "ECR describe-images" in newest.source


def test_tag_mutability_settings() -> None:
    inventory = inventory_of({"repositories": [
        repo("immutable", imageTagMutability="IMMUTABLE"),
        repo("mostly", imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
             imageTagMutabilityExclusionFilters=[{"filterType": "WILDCARD", "filter": "dev-*"}]),
        repo("mutable")]})
    assert "mutable-image-reference" not in verdicts(inventory, f"{ECR}/immutable:1.0")
    assert "mutable-image-reference" in verdicts(inventory, f"{ECR}/immutable:latest")
    assert "mutable-image-reference" not in verdicts(inventory, f"{ECR}/mostly:1.0")
    assert "MUTABLE" in verdicts(inventory, f"{ECR}/mostly:dev-7")["mutable-image-reference"]
    assert "mutable-image-reference" in verdicts(inventory, f"{ECR}/mutable:1.0")
    assert "mutable-image-reference" not in verdicts(
        inventory, f"{ECR}/mutable@sha256:{'b' * 64}")


def test_registry_scanning_rules_cover_repositories() -> None:
    registry = {"registryId": ACCOUNT, "scanningConfiguration": {"scanType": "ENHANCED", "rules": [
        {"scanFrequency": "CONTINUOUS_SCAN",
         "repositoryFilters": [{"filter": "prod-*", "filterType": "WILDCARD"}]}]}}
    inventory = inventory_of({"repositories": [repo("prod-web"), repo("sandbox")]}, registry)
    prod = verdicts(inventory, f"{ECR}/prod-web:1")
    sandbox = verdicts(inventory, f"{ECR}/sandbox:1")
    assert "neither scan-on-push" not in prod["unscanned-image"]          # only "no result"
    assert "neither scan-on-push nor continuous scanning" in sandbox["unscanned-image"]


def test_repository_scanning_configuration_and_scan_status() -> None:
    inventory = inventory_of({"scanningConfigurations": [
        {"repositoryArn": f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/api",
         "repositoryName": "api", "scanOnPush": True, "scanFrequency": "SCAN_ON_PUSH"}]},
        {"imageDetails": [{"registryId": ACCOUNT, "repositoryName": "api",
                           "imageDigest": "sha256:" + "c" * 64, "imageTags": ["2"],
                           "imageScanStatus": {"status": "UNSUPPORTED_IMAGE",
                                               "description": "not supported"}}]})
    found = verdicts(inventory, f"{ECR}/api:2")
    assert "neither scan-on-push" not in found["unscanned-image"]
    assert "UNSUPPORTED_IMAGE" in found["unscanned-image"]


def test_scan_dates_from_other_sources_and_staleness() -> None:
    digest = "sha256:" + "d" * 64
    inventory = inventory_of({"repositories": [repo("web", imageScanningConfiguration={
        "scanOnPush": True})]})
    image = f"{ECR}/web@{digest}"
    assert "no scan result" in verdicts(inventory, image)["unscanned-image"]
    inventory.images.record_scan(digest, NOW - timedelta(days=45), "trivy report t.json")
    assert "45 days old" in verdicts(inventory, image)["unscanned-image"]
    inventory.images.record_scan(digest, NOW - timedelta(days=1), "inspector findings")
    assert "unscanned-image" not in verdicts(inventory, image)


def test_signing_status_is_mentioned_but_not_trusted() -> None:
    digest = "sha256:" + "e" * 64
    inventory = inventory_of({"repositoryName": "web", "registryId": ACCOUNT,
                              "imageId": {"imageDigest": digest},
                              "signingStatuses": [{"signingProfileArn": "arn:x",
                                                   "status": "COMPLETE"}]})
    detail = verdicts(inventory, f"{ECR}/web@{digest}")["unverified-signature"]
    assert "ECR managed signing status COMPLETE (not verifiable offline)" in detail


def test_config_only_facts_from_a_scanner_report() -> None:
    inventory = inventory_of({"repositories": [repo("web")]})
    digest = "sha256:" + "f" * 64
    inventory.images.add_config([digest], [f"{ECR}/web:3"], {
        "created": "2024-01-01T00:00:00.123456789Z", "config": {"User": "root"}}, "trivy.json")
    assert inventory.images.config_user(f"{ECR}/web:3") == "root"
    assert "built 2024-01-01" in verdicts(inventory, f"{ECR}/web:3")["stale-image"]


def test_reference_parsing() -> None:
    cases = {
        "nginx": ("docker.io", "library/nginx", None, None),
        "nginx:1.27": ("docker.io", "library/nginx", "1.27", None),
        "index.docker.io/acme/app:2": ("docker.io", "acme/app", "2", None),
        "localhost:5000/app@sha256:" + "a" * 64: ("localhost:5000", "app", None,
                                                  "sha256:" + "a" * 64),
        f"{ECR}/team/web:1.4.2": (ECR, "team/web", "1.4.2", None),
        "public.ecr.aws/nginx/nginx:latest": ("public.ecr.aws", "nginx/nginx", "latest", None),
    }
    for text, expected in cases.items():
        ref = parse_reference(text)
        assert ref is not None and (ref.registry, ref.repository, ref.tag, ref.digest) == expected
    assert parse_reference(f"{ECR}/web").ecr_registry_id == ACCOUNT  # type: ignore[union-attr]
    for bad in ("", "a b", "app@sha256:xyz", "app:bad tag", "/app", "a//b"):
        assert parse_reference(bad) is None, bad
