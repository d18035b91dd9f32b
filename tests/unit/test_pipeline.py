"""Joins between the families: a vulnerability report is a scan for the hardened-image check."""

from __future__ import annotations

from typing import Any

import pytest

from ecs_exposure.pipeline import scan_inventory
from support.builders import SETTINGS, container, inventory_of, service, task_definition


def _trivy(image: str) -> dict[str, Any]:
    return {"SchemaVersion": 2, "ArtifactName": image, "ArtifactType": "container_image",
            "Metadata": {"RepoTags": [image]},
            "Results": [{"Target": f"{image} (debian 12.5)", "Class": "os-pkgs",
                         "Type": "debian", "Vulnerabilities": []}]}


def _unscanned(*docs: Any) -> list[str]:
    result = scan_inventory(inventory_of(*docs), SETTINGS)
    return [t.detail for f in result.findings for t in f.traits if t.id == "unscanned-image"]


def test_a_scanner_report_counts_as_a_scan() -> None:
    td = task_definition(containers=[container(image="nginx:1.27", privileged=True)])
    without = _unscanned({"taskDefinition": td}, {"services": [service()]})
    assert any("no scan result" in detail for detail in without)
    covered = _unscanned({"taskDefinition": td}, {"services": [service()]},
                         _trivy("nginx:1.27"))
    assert not any("no scan result" in detail for detail in covered)


def test_a_report_of_another_tag_does_not_count() -> None:
    td = task_definition(containers=[container(image="nginx:1.27", privileged=True)])
    other = _unscanned({"taskDefinition": td}, {"services": [service()]},
                       _trivy("nginx:1.25"))
    assert any("no scan result" in detail for detail in other)


def test_detector_order_does_not_depend_on_import_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """Traits, and the reasons built from their order, come out the same whichever detector
    module some other import loaded first."""
    from ecs_exposure.detectors import registry

    expected = list(registry.detectors_for("task-definition"))
    registered = registry._REGISTRY.detectors["task-definition"]
    # As if another import had loaded the credentials detector before the others.
    first = [f for f in registered if f.__module__.endswith(".credentials")]
    shuffled = first + [f for f in registered if f not in first]
    assert first and shuffled != expected
    monkeypatch.setitem(registry._REGISTRY.detectors, "task-definition", shuffled)
    monkeypatch.setattr(registry, "_ORDERED", {})
    assert registry.detectors_for("task-definition") == expected
    modules = [f.__module__.rsplit(".", 1)[-1] for f in expected]
    assert modules == sorted(modules, key=registry.MODULES.index)
