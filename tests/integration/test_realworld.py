"""Public task definitions nobody here wrote (shared/realworld): the scanner must read every
well-formed one, name the malformed one, and not cry wolf on their secretOptions."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecs_exposure.inventory import Inventory
from ecs_exposure.pipeline import scan_inventory
from ecs_exposure.sources.files import load_paths
from support import REALWORLD
from support.builders import SETTINGS

pytestmark = pytest.mark.skipif(not REALWORLD.exists(), reason="shared/realworld not present")


def test_every_realworld_task_definition_is_evaluated() -> None:
    files = sorted((REALWORLD / "task-definitions").glob("*.json"))
    inventory = Inventory()
    report = load_paths([REALWORLD], inventory)
    result = scan_inventory(inventory, SETTINGS, errors=report.errors, skipped=report.skipped)
    from_templates = sum(1 for key in inventory.task_definitions
                         if inventory.sources[key].endswith((".yml", ".yaml")))
    assert result.task_definitions - from_templates == len(files) - 1  # all but the malformed
    assert [Path(e.source).name for e in result.errors] == [
        "firelens-fluent-bit-dynatrace-task-definition.json"]
    # Every CloudFormation template is read (tests/test_iac_realworld.py checks the results).
    yaml_files = {p.name for p in (REALWORLD / "cloudformation").iterdir()}
    assert yaml_files <= {Path(s).name for s in report.read}


def test_realworld_findings_are_the_real_weaknesses() -> None:
    inventory = Inventory()
    load_paths([REALWORLD / "task-definitions"], inventory)
    result = scan_inventory(inventory, SETTINGS)
    by_name = {f.name: f for f in result.task_definition_findings}
    assert set(by_name) == {"consulClient", "consulServer"}
    for finding in by_name.values():
        assert "host-network-mode" in {t.id for t in finding.traits}
    every_trait = {t.id for f in result.task_definition_findings for t in f.traits}
    assert "plaintext-credentials" not in every_trait   # firelens examples use secretOptions
