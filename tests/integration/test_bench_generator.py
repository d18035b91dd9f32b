"""The benchmark's estate generator (bench/generate.py): deterministic for a seed, counts as
its manifest says, and a generated estate scans with the trait mix that was planted in it.

No timing here: speed is measured by ``bench/run.py``, never by tests.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from ecs_exposure.detectors.registry import SPECS, catalog
from ecs_exposure.inventory import Inventory
from ecs_exposure.pipeline import scan_inventory
from ecs_exposure.sources.files import load_paths
from support import ROOT
from support.builders import SETTINGS

if str(ROOT) not in sys.path:  # bench/ is a folder of scripts beside src/, not installed
    sys.path.insert(0, str(ROOT))

from bench.generate import MANIFEST, generate  # noqa: E402

EXPECTED_MIX = {
    "privileged-container", "host-pid-namespace", "host-ipc-namespace", "host-filesystem-mount",
    "dangerous-capabilities", "plaintext-credentials", "administrative-policy",
    "service-admin-policy", "assumable-role", "public-ip", "open-security-group",
    "internet-reachable", "execute-command-enabled", "root-user", "writable-root-filesystem",
}
"""Traits every generated estate holds at least once, whatever its size (quotas, not odds)."""


def _digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_gives_identical_files_and_another_seed_does_not(tmp_path: Path) -> None:
    generate(tmp_path / "a", 60, 500, seed=7)
    generate(tmp_path / "b", 60, 500, seed=7)
    generate(tmp_path / "c", 60, 500, seed=8)
    first, again, other = (_digests(tmp_path / n) for n in "abc")
    assert first == again
    assert MANIFEST in first and len(first) > 50
    assert first != other


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("bench") / "estate"
    return folder, generate(folder, 50, 400, seed=3)


def _load(path: Path) -> Any:
    return json.loads(path.read_bytes())


def test_files_hold_what_the_manifest_counts(estate: tuple[Path, dict[str, Any]]) -> None:
    folder, manifest = estate
    services = [s for p in sorted((folder / "ecs" / "services").rglob("*.json"))
                for s in _load(p)["services"]]
    assert len(services) == manifest["services"] == 50
    assert all(len(_load(p)["services"]) <= 10  # describe-services takes 10 a call
               for p in (folder / "ecs" / "services").rglob("*.json"))
    definitions = {_load(p)["taskDefinition"]["taskDefinitionArn"]:
                   _load(p)["taskDefinition"]
                   for p in (folder / "ecs" / "task-definitions").glob("*.json")}
    assert len(definitions) == manifest["task_definitions"]
    assert sum(len(definitions[s["taskDefinition"]]["containerDefinitions"])
               for s in services) == manifest["containers"]
    trivy = [_load(p) for p in (folder / "vulns" / "trivy").glob("*.json")]
    inspector = [_load(p) for p in (folder / "vulns" / "inspector").glob("*.json")]
    assert all(r["SchemaVersion"] == 2 and r["ArtifactType"] == "container_image"
               for r in trivy)
    assert all(f["type"] == "PACKAGE_VULNERABILITY" and
               f["resources"][0]["type"] == "AWS_ECR_CONTAINER_IMAGE"
               for doc in inspector for f in doc["findings"])
    records = (sum(len(r.get("Vulnerabilities", [])) for doc in trivy for r in doc["Results"])
               + sum(len(doc["findings"]) for doc in inspector))
    assert records == manifest["vulnerability_records"] == 400
    images = {c["image"] for td in definitions.values() for c in td["containerDefinitions"]}
    assert {doc["ArtifactName"] for doc in trivy} <= images


def test_scan_finds_every_planted_trait(estate: tuple[Path, dict[str, Any]]) -> None:
    folder, manifest = estate
    inventory = Inventory()
    report = load_paths([folder], inventory)
    assert report.errors == []
    # Until vulnerability readers exist, the reports are skipped as "recognised later".
    assert all(s.source.startswith(str(folder / "vulns")) for s in report.skipped)
    result = scan_inventory(inventory, SETTINGS, errors=report.errors, skipped=report.skipped)
    assert result.services == 50
    found = {f.arn: {t.id for t in f.traits} for f in result.findings}
    assert set(manifest["planted"]) == set(inventory.services)
    for arn, planted in manifest["planted"].items():
        assert set(planted) <= {spec.id for spec in catalog()}
        if any(not SPECS[t].contextual for t in planted):
            assert set(planted) <= found.get(arn, set()), arn
        elif arn in found:  # contextual traits show in a finding made by other traits
            assert set(planted) <= found[arn], arn
    assert EXPECTED_MIX <= set().union(*found.values())
