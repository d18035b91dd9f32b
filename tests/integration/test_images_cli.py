"""``ecs-exposure image`` as a CI gate and ``scan --images/--policy``, end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ecs_exposure.cli import main
from support.builders import ACCOUNT, REGION, container, service, task_definition
from support.imagebuilder import (
    cosign_signature,
    debian_like,
    distroless_like,
    docker_save,
    new_key,
    oci_layout,
    public_pem,
)

ECR = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
NOW = datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("cli")
    key = new_key()
    (root / "cosign.pub").write_bytes(public_pem(key))
    good = distroless_like(created=_iso(NOW - timedelta(days=5))).build()
    oci_layout(root / "good", good, extra=[cosign_signature(good.digest, key)])
    tampered = distroless_like(created=_iso(NOW - timedelta(days=5))).build()
    oci_layout(root / "tampered", tampered,
               extra=[cosign_signature(tampered.digest, key, tamper=True)])
    tooled = debian_like(created=_iso(NOW - timedelta(days=5))).build()
    docker_save(root / "tooled.tar", tooled, "nginx:1.27", "v25")
    (root / "ecr.json").write_text(json.dumps({"repositories": [{
        "repositoryArn": f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/app",
        "registryId": ACCOUNT, "repositoryName": "app", "imageTagMutability": "IMMUTABLE",
        "imageScanningConfiguration": {"scanOnPush": True}}]}))
    (root / "images.json").write_text(json.dumps({"imageDetails": [
        {"registryId": ACCOUNT, "repositoryName": "app", "imageDigest": d, "imageTags": [t],
         "imagePushedAt": _iso(NOW - timedelta(days=4)),
         "imageScanFindingsSummary": {"imageScanCompletedAt": _iso(NOW - timedelta(days=1))}}
        for d, t in ((good.digest, "1.0"), (tampered.digest, "1.1"))]}))
    (root / "policy.yaml").write_text("signatures:\n  cosign:\n    keys: [cosign.pub]\n")
    return {"root": root, "good": good, "tooled": tooled}


def image(*args: str) -> tuple[int, str]:
    """Exit code and the report (standard output); for a usage error (exit 2), the message,
    which is on standard error with the gate's one-line summary."""
    result = CliRunner().invoke(main, ["image", *args])
    return result.exit_code, result.stdout if result.exit_code in (0, 1) else result.stderr


def test_hardened_signed_scanned_image_passes(setup: dict[str, Any]) -> None:
    root = setup["root"]
    code, out = image(str(root / "good"), "--ref", f"{ECR}/app:1.0", "--policy",
                      str(root / "policy.yaml"), "--context", str(root / "ecr.json"),
                      "--context", str(root / "images.json"), "--format", "json")
    doc = json.loads(out)
    assert code == 0, doc["traits"]
    assert doc["schema"] == "ecs-exposure/image@1" and doc["verdict"] == "pass"
    assert doc["digests"] == [setup["good"].digest]
    [signature] = doc["signatures"]
    assert signature["verified"] and signature["kind"] == "cosign (key)"
    assert "transparency log (Rekor) inclusion" in signature["not_checked"]
    assert doc["facts"]["user"] == "65532" and doc["facts"]["os"]["id"] == "debian"


def test_tampered_signature_fails_the_gate(setup: dict[str, Any]) -> None:
    root = setup["root"]
    code, out = image(str(root / "tampered"), "--ref", f"{ECR}/app:1.1", "--policy",
                      str(root / "policy.yaml"), "--context", str(root / "ecr.json"),
                      "--context", str(root / "images.json"), "--format", "json")
    doc = json.loads(out)
    assert code == 1 and doc["verdict"] == "fail"
    assert [t["id"] for t in doc["traits"]] == ["unverified-signature"]
    assert "tampered payload" in doc["traits"][0]["detail"]


def test_tooled_archive_fails_with_named_components(setup: dict[str, Any]) -> None:
    code, out = image(str(setup["root"] / "tooled.tar"), "--format", "json")
    doc = json.loads(out)
    assert code == 1
    ids = {t["id"] for t in doc["traits"]}
    assert {"untrusted-registry", "mutable-image-reference", "unverified-signature",
            "unscanned-image", "unnecessary-packages", "root-user"} == ids
    packages = next(t for t in doc["traits"] if t["id"] == "unnecessary-packages")
    assert "bin/su (setuid" in packages["detail"] and "usr/bin/curl" in packages["detail"]


def test_table_output_and_gate_list(setup: dict[str, Any], tmp_path: Path) -> None:
    code, out = image(str(setup["root"] / "tooled.tar"), "--format", "table")
    assert code == 1 and "FAIL" in out and "unnecessary-packages" in out
    policy = tmp_path / "gate.yaml"
    policy.write_text("gate: [end-of-life-os, stale-image]\n")
    code, out = image(str(setup["root"] / "tooled.tar"), "--policy", str(policy),
                      "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["verdict"] == "pass"
    assert all(not t["gating"] for t in doc["traits"]) and doc["traits"]


def test_the_config_file_gives_the_policy_and_the_format(setup: dict[str, Any],
                                                        tmp_path: Path) -> None:
    config = tmp_path / "ci.yaml"
    config.write_text("options:\n  image:\n    format: json\n"
                      "policy:\n  gate: [end-of-life-os, stale-image]\n")
    code, out = image(str(setup["root"] / "tooled.tar"), "--config", str(config))
    doc = json.loads(out)                               # json from the config's options
    assert code == 0 and doc["verdict"] == "pass"       # gate from the config's policy
    strict = tmp_path / "all.yaml"
    strict.write_text("version: 1\n")                  # --policy wins over the config's
    code, out = image(str(setup["root"] / "tooled.tar"), "--config", str(config),
                      "--policy", str(strict))
    assert code == 1 and json.loads(out)["verdict"] == "fail"


def test_waived_traits_do_not_fail(setup: dict[str, Any], tmp_path: Path) -> None:
    policy = tmp_path / "waive.yaml"
    later = (NOW + timedelta(days=30)).date().isoformat()
    policy.write_text(
        "exceptions:\n"
        f"  - image: docker.io/library/nginx\n    traits: [untrusted-registry, "
        "mutable-image-reference, unverified-signature, unscanned-image, "
        f"unnecessary-packages, root-user]\n    reason: migration ticket OPS-1\n"
        f"    expires: {later}\n")
    code, out = image(str(setup["root"] / "tooled.tar"), "--policy", str(policy),
                      "--format", "json")
    doc = json.loads(out)
    assert code == 0
    assert {t["waived"]["reason"] for t in doc["traits"]} == {"migration ticket OPS-1"}


def test_bad_policy_and_unreadable_image_exit_2(setup: dict[str, Any], tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("max_scan_age_days: -1\n")
    result = CliRunner().invoke(main, ["image", str(setup["root"] / "tooled.tar"), "--policy",
                                       str(bad)])
    assert result.exit_code == 2
    assert str(bad) in result.output and "/max_scan_age_days" in result.output
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"\x00" * 100)
    assert image(str(junk))[0] == 2
    assert image("not a reference!")[0] == 2


def test_reference_found_in_images_folder(setup: dict[str, Any]) -> None:
    code, out = image("nginx:1.27", "--images", str(setup["root"]), "--format", "json")
    doc = json.loads(out)
    assert code == 1 and doc["digests"] == [setup["tooled"].digest]
    assert doc["facts"]["package_managers"] == ["dpkg"]


def test_scan_with_images_and_policy(setup: dict[str, Any], tmp_path: Path) -> None:
    root = setup["root"]
    td = task_definition("app", 1, containers=[
        container("web", image=f"{ECR}/app@{setup['good'].digest}", privileged=True,
                  user=None),
        container("proxy", image="nginx:1.27", user=None)])
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "td.json").write_text(json.dumps({"taskDefinition": td}))
    (inputs / "svc.json").write_text(json.dumps({"services": [service()]}))
    for name in ("ecr.json", "images.json"):
        (inputs / name).write_text((root / name).read_text())
    policy = tmp_path / "policy.yaml"
    policy.write_text(f"signatures: {{cosign: {{keys: [{root / 'cosign.pub'}]}}}}\n"
                      "exceptions:\n  - service: svc\n    traits: [stale-image]\n"
                      "    reason: old\n    expires: 2020-01-01\n")
    proc = subprocess.run([sys.executable, "-m", "ecs_exposure", "scan", str(inputs),
                           "--images", str(root), "--policy", str(policy), "--format", "json"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    [finding] = result["findings"]
    traits = {(t["container"], t["id"]) for t in finding["traits"]}
    assert ("proxy", "unnecessary-packages") in traits and ("proxy", "root-user") in traits
    assert not any(c == "web" and i in ("unverified-signature", "untrusted-registry",
                                        "unscanned-image", "root-user") for c, i in traits)
    guidance = result["guidance"]
    assert all(guidance[t["id"]]["contextual"] for t in finding["traits"]
               if guidance[t["id"]]["category"] == "image")
    assert any("expired on 2020-01-01" in e["message"] for e in result["errors"])
    proc = subprocess.run([sys.executable, "-m", "ecs_exposure", "scan", str(inputs),
                           "--policy", str(tmp_path / "missing.yaml")],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 2 and "missing.yaml" in proc.stderr


def test_ref_digest_must_match_the_archive(setup: dict[str, Any]) -> None:
    code, out = image(str(setup["root"] / "good"), "--ref", f"{ECR}/app@sha256:{'0' * 64}")
    assert code == 2 and "names digest" in out
    code, out = image(str(setup["root"] / "good"), "--ref",
                      f"{ECR}/app@{setup['good'].digest}", "--format", "json")
    assert json.loads(out)["digests"] == [setup["good"].digest]


def test_demo_estate_shows_ecr_image_traits() -> None:
    result = CliRunner().invoke(main, ["scan", "--demo", "--format", "json"])
    doc = json.loads(result.stdout)
    findings = {f["resource"]["name"]: f for f in doc["findings"]}
    storefront = {t["id"]: t for t in findings["storefront-web"]["traits"]}
    assert storefront["mutable-image-reference"]["evidence"]["pointer"] == "/imageTagMutability"
    assert storefront["mutable-image-reference"]["evidence"]["file"].endswith(
        "describe-repositories.json")
    assert "pushed 2025-02-10" in storefront["stale-image"]["evidence"]["detail"]
    payments = {t["id"] for t in findings["payments-api"]["traits"]}
    assert "mutable-image-reference" not in payments        # IMMUTABLE repository
    untrusted = {t["id"] for f in doc["task_definition_findings"] for t in f["traits"]}
    assert "untrusted-registry" in untrusted                 # nicolaka/netshoot (Docker Hub)


def test_reference_without_any_image_data_says_what_was_not_checked() -> None:
    code, out = image("nginx:1.27", "--format", "json")
    doc = json.loads(out)
    assert code == 1 and doc["facts"] is None
    assert any("not inspected" in note for note in doc["notes"])
    assert {t["id"] for t in doc["traits"]} == {"untrusted-registry", "mutable-image-reference",
                                                "unverified-signature", "unscanned-image"}
