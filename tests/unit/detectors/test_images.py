"""Every hardened-image trait fires on the right image and only there (scan integration)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ecs_exposure.analysis.images.policy import Policy, PolicyException, SignaturePolicy
from ecs_exposure.detectors.registry import SPECS
from ecs_exposure.inventory import Inventory
from ecs_exposure.model import Trait
from ecs_exposure.pipeline import scan_inventory
from ecs_exposure.settings import ScanSettings
from ecs_exposure.sources.images.load import load_images
from support.builders import (
    ACCOUNT,
    REGION,
    container,
    inventory_of,
    run_detectors,
    service,
    task_definition,
)
from support.imagebuilder import (
    File,
    Image,
    alpine_like,
    cosign_signature,
    debian_like,
    distroless_like,
    docker_save,
    new_key,
    oci_layout,
    public_pem,
)

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)
AT_NOW = ScanSettings(now=NOW)
"""The default policy, judged at :data:`NOW`."""
ECR = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
IMAGE_TRAITS = {"untrusted-registry", "mutable-image-reference", "unverified-signature",
                "unscanned-image", "stale-image", "unnecessary-packages", "end-of-life-os",
                "root-user"}


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("images")
    key = new_key()
    hardened = distroless_like(created=_iso(NOW - timedelta(days=10))).build()
    oci_layout(folder / "app", hardened, extra=[cosign_signature(hardened.digest, key)])
    tooled = debian_like(created=_iso(NOW - timedelta(days=3))).build()
    docker_save(folder / "nginx.tar", tooled, "nginx:1.27", "v25")
    old = alpine_like(created="2025-01-02T00:00:00Z").build()
    oci_layout(folder / "tools", old, "latest")
    eol = Image([[File("etc/os-release", b'ID=debian\nVERSION_ID="9"\n'
                       b'PRETTY_NAME="Debian GNU/Linux 9 (stretch)"\n', 0o644)]],
                user="1000", created=_iso(NOW - timedelta(days=1))).build()
    oci_layout(folder / "legacy", eol, f"{ECR}/legacy:9")
    return {"folder": folder, "key": key, "hardened": hardened, "tooled": tooled, "old": old,
            "eol": eol}


def ecr_documents(estate: dict[str, Any]) -> list[dict[str, Any]]:
    def repo(name: str, mutability: str, scan: bool) -> dict[str, Any]:
        return {"repositoryArn": f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{name}",
                "registryId": ACCOUNT, "repositoryName": name,
                "repositoryUri": f"{ECR}/{name}", "imageTagMutability": mutability,
                "imageScanningConfiguration": {"scanOnPush": scan}}

    return [
        {"repositories": [repo("app", "IMMUTABLE", True), repo("tools", "MUTABLE", False)]},
        {"imageDetails": [
            {"registryId": ACCOUNT, "repositoryName": "app",
             "imageDigest": estate["hardened"].digest, "imageTags": ["1.0"],
             "imagePushedAt": (NOW - timedelta(days=9)).timestamp(),
             "imageScanFindingsSummary": {
                 "imageScanCompletedAt": (NOW - timedelta(days=2)).timestamp()}},
            {"registryId": ACCOUNT, "repositoryName": "tools",
             "imageDigest": estate["old"].digest, "imageTags": ["latest"],
             "imagePushedAt": "2025-01-02T10:00:00+00:00",
             "imageScanFindingsSummary": {"imageScanCompletedAt": _iso(NOW - timedelta(60))}},
        ]},
    ]


def build(estate: dict[str, Any], policy: Policy | None = None,
          containers: list[dict[str, Any]] | None = None) -> tuple[Inventory, ScanSettings]:
    """The estate's task definition and ECR documents, its images loaded, and the settings
    to judge it by (``policy``, by default one that trusts the estate's cosign key)."""
    td = task_definition("shop", 1, containers=containers or [
        container("a", image=f"{ECR}/app@{estate['hardened'].digest}", user=None),
        container("b", image="nginx:1.27", user=None),
        container("c", image=f"{ECR}/tools:latest", user=None),
        container("d", image=f"{ECR}/legacy:9"),
    ])
    inventory = inventory_of({"taskDefinition": td}, *ecr_documents(estate))
    settings = ScanSettings(now=NOW, policy=policy or Policy(signatures=SignaturePolicy(
        cosign_keys=(("cosign.pub", public_pem(estate["key"])),))))
    assert load_images(estate["folder"], inventory.images,
                       extra_files=settings.policy.extra_files) == []
    return inventory, settings


def traits_of(inventory: Inventory, settings: ScanSettings = AT_NOW) -> list[Trait]:
    return run_detectors(inventory, next(iter(inventory.task_definitions)), settings)


def by_container(traits: list[Trait]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {name: set() for name in "abcd"}
    for trait in traits:
        if trait.id in IMAGE_TRAITS and trait.container:
            found[trait.container].add(trait.id)
    return found


def test_each_trait_fires_on_the_right_image_only(estate: dict[str, Any]) -> None:
    found = by_container(traits_of(*build(estate)))
    assert found["a"] == set()
    assert found["b"] == {"untrusted-registry", "mutable-image-reference",
                          "unverified-signature", "unscanned-image", "unnecessary-packages",
                          "root-user"}
    assert found["c"] == {"mutable-image-reference", "unverified-signature", "unscanned-image",
                          "stale-image", "unnecessary-packages", "root-user"}
    assert found["d"] == {"mutable-image-reference", "unverified-signature", "unscanned-image",
                          "end-of-life-os"}


def test_evidence_names_what_and_where(estate: dict[str, Any]) -> None:
    traits = traits_of(*build(estate))

    def one(trait_id: str, name: str) -> list[Trait]:
        return [t for t in traits if t.id == trait_id and t.container == name]

    [packages] = one("unnecessary-packages", "b")
    assert packages.pointer == "/containerDefinitions/1/image"
    for expected in ("bin/bash (file, layer 0)", "usr/bin/curl", "apt (package, "
                     "var/lib/dpkg/status)", "bin/su (setuid, layer 0, mode 4755)"):
        assert expected in packages.detail
    hits = dict(packages.extra)["components"]
    assert {"category": "setuid", "kind": "setuid", "name": "bin/su",
            "where": "layer 0, mode 4755"} in hits
    [root] = one("root-user", "b")
    assert "image config User is not set" in root.detail
    [mutable] = one("mutable-image-reference", "c")
    assert mutable.resource.endswith("repository/tools") and mutable.pointer == \
        "/imageTagMutability"
    assert "latest" in mutable.detail and mutable.source == "input-1.json"
    scans = sorted(t.detail for t in one("unscanned-image", "c"))
    assert any("neither scan-on-push nor continuous" in d for d in scans)
    assert any("newest scan is 60 days old" in d for d in scans)
    [stale] = one("stale-image", "c")
    assert "built 2025-01-02" in stale.detail and "pushed 2025-01-02" in stale.detail
    [eol] = one("end-of-life-os", "d")
    # Debian 9's public security fixes (Debian LTS) ended 2022-06-30: the date a scanner
    # report naming the same release gives (analysis/os_eol.py).
    assert "reached end of life on 2022-06-30" in eol.detail and "etc/os-release" in eol.detail
    assert dict(eol.extra)["evidence"] == "os-release"
    assert dict(eol.extra)["end_of_life"] == "2022-06-30"
    [unsigned] = one("unverified-signature", "b")
    assert "no signature found" in unsigned.detail


def test_without_image_data_the_unknowns_are_said(estate: dict[str, Any]) -> None:
    td = task_definition("bare", 1, containers=[container("x", image=f"{ECR}/app:1.0",
                                                          user=None)])
    inventory = inventory_of({"taskDefinition": td})
    traits = {t.id: t for t in traits_of(inventory)}
    assert set(traits) & IMAGE_TRAITS == {"mutable-image-reference", "unverified-signature",
                                          "unscanned-image", "root-user"}
    assert "image config not checked" in traits["root-user"].detail
    assert "digest unknown" in traits["unverified-signature"].detail
    assert "ECR repository not in the inputs" in traits["mutable-image-reference"].detail


def test_root_user_cleared_by_image_config_or_container_user(estate: dict[str, Any]) -> None:
    inventory, settings = build(estate, containers=[
        container("a", image=f"{ECR}/app@{estate['hardened'].digest}", user=None),
        container("b", image="nginx:1.27", user="1000")])
    ids = {(t.container, t.id) for t in traits_of(inventory, settings)}
    assert ("a", "root-user") not in ids and ("b", "root-user") not in ids


def test_policy_changes_verdicts(estate: dict[str, Any]) -> None:
    policy = Policy(trusted_registries=("docker.io/library/*",), require_digest=True,
                    categories=frozenset({"setuid"}), max_image_age_days=1000,
                    signatures=SignaturePolicy(required=False))
    found = by_container(traits_of(*build(estate, policy)))
    assert "untrusted-registry" not in found["b"]
    assert "unverified-signature" not in found["b"] | found["c"]
    assert "stale-image" not in found["c"]
    assert "unnecessary-packages" in found["b"]         # su is setuid
    assert "unnecessary-packages" not in found["c"]     # busybox/apk not forbidden now
    pinned_policy = Policy(require_digest=True)
    assert "mutable-image-reference" not in by_container(traits_of(*build(estate,
                                                                        pinned_policy)))["a"]


def test_allowances_per_image(estate: dict[str, Any]) -> None:
    from ecs_exposure.analysis.images.policy import Allowance

    policy = Policy(allowances=(Allowance("docker.io/library/nginx", ("shell", "package-manager",
                                                                      "downloader", "setuid",
                                                                      "privilege-escalation"),
                                          "reason"),))
    found = by_container(traits_of(*build(estate, policy)))
    assert "unnecessary-packages" not in found["b"]
    assert "unnecessary-packages" in found["c"]


def test_image_traits_are_contextual_and_eol_raises_likelihood(estate: dict[str, Any]) -> None:
    clean = task_definition("app", 1, containers=[
        container("d", image=f"{ECR}/legacy:9")])
    inventory = inventory_of({"taskDefinition": clean}, {"services": [service()]},
                             *ecr_documents(estate))
    assert load_images(estate["folder"], inventory.images) == []
    # The hardened-image traits are contextual; an end-of-life OS is a vulnerability trait
    # (TRAITS.md "Vulnerability") and is the only one that makes this a finding.
    [finding] = scan_inventory(inventory, AT_NOW).findings
    assert [t.id for t in finding.traits if not SPECS[t.id].contextual] == ["end-of-life-os"]
    assert finding.severity.name == "LOW"
    risky = task_definition("app", 1, containers=[
        container("d", image=f"{ECR}/legacy:9", privileged=True)])
    inventory = inventory_of({"taskDefinition": risky}, {"services": [service()]},
                             *ecr_documents(estate))
    assert load_images(estate["folder"], inventory.images) == []
    [finding] = scan_inventory(inventory, AT_NOW).findings
    assert finding.likelihood.name == "MEDIUM"             # low → moderate: end-of-life OS
    assert "past end of life" in finding.why
    assert "end-of-life-os" in {t.id for t in finding.traits}


def test_service_exceptions_and_expiry(estate: dict[str, Any]) -> None:
    from datetime import date

    policy = Policy(signatures=SignaturePolicy(
        cosign_keys=(("k", public_pem(estate["key"])),)), exceptions=(
        PolicyException(("unnecessary-packages",), "debug build", date(2027, 1, 1),
                        service="svc"),
        PolicyException(("untrusted-registry",), "old", date(2026, 1, 1), image="*nginx"),
    ))
    td = task_definition("app", 1, containers=[container("b", image="nginx:1.27",
                                                         privileged=True)])
    inventory = inventory_of({"taskDefinition": td}, {"services": [service()]})
    assert load_images(estate["folder"], inventory.images, extra_files=policy.extra_files) == []
    [finding] = scan_inventory(inventory, ScanSettings(policy=policy, now=NOW)).findings
    ids = {t.id for t in finding.traits}
    assert "unnecessary-packages" not in ids               # waived for service svc
    assert "untrusted-registry" in ids                     # that exception expired


def test_multi_arch_index_picks_the_task_architecture(tmp_path: Path) -> None:
    from support.imagebuilder import OCI_INDEX, OCI_MANIFEST, _write_blobs, canonical, digest

    amd = alpine_like(user="").build()
    arm = distroless_like(user="1000").build()
    nested = canonical({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": OCI_MANIFEST, "digest": img.digest, "size": len(img.manifest_bytes),
         "platform": {"os": "linux", "architecture": arch}}
        for img, arch in ((amd, "amd64"), (arm, "arm64"))] + [
        {"mediaType": OCI_MANIFEST, "digest": arm.digest, "size": 1,
         "platform": {"os": "unknown", "architecture": "unknown"},
         "annotations": {"vnd.docker.reference.type": "attestation-manifest"}}]})
    root = tmp_path / "multi"
    _write_blobs(root, {**amd.blobs, **arm.blobs, digest(nested): nested})
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    (root / "index.json").write_bytes(canonical({"schemaVersion": 2, "manifests": [
        {"mediaType": OCI_INDEX, "digest": digest(nested), "size": len(nested),
         "annotations": {"io.containerd.image.name": f"{ECR}/multi:1"}}]}))
    for cpu, root_user, shell in (("X86_64", True, True), ("ARM64", False, False)):
        td = task_definition("m", 1, runtimePlatform={"cpuArchitecture": cpu,
                                                      "operatingSystemFamily": "LINUX"},
                             containers=[container("x", image=f"{ECR}/multi@{digest(nested)}",
                                                   user=None)])
        inventory = inventory_of({"taskDefinition": td})
        assert load_images(root, inventory.images) == []
        assert len(inventory.images.facts) == 2                 # attestation skipped
        ids = {t.id for t in traits_of(inventory)}
        assert ("root-user" in ids) is root_user, cpu
        assert ("unnecessary-packages" in ids) is shell, cpu
