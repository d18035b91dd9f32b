"""Shared helpers for the infrastructure-as-code tests: write inputs, scan them, find lines."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ecs_exposure.inventory import Inventory
from ecs_exposure.model import Finding, ScanResult, Trait
from ecs_exposure.pipeline import scan_inventory
from ecs_exposure.sources.files import LoadReport, load_paths
from ecs_exposure.sources.positions import Position, locate
from ecs_exposure.sources.readers import read_context
from support.builders import SETTINGS


def scan_paths(paths: Iterable[Path], values: dict[str, Any] | None = None
               ) -> tuple[ScanResult, Inventory, LoadReport]:
    inventory = Inventory()
    report = load_paths(list(paths), inventory, context=read_context(values))
    result = scan_inventory(inventory, SETTINGS, errors=report.errors, skipped=report.skipped)
    return result, inventory, report


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def finding(result: ScanResult, name: str) -> Finding:
    found = [f for f in result.findings + result.task_definition_findings if f.name == name]
    assert found, f"no finding for {name}: {[f.name for f in result.findings]}"
    return found[0]


def traits(found: Finding, trait_id: str) -> list[Trait]:
    return [t for t in found.traits if t.id == trait_id]


def line_of(path: Path, needle: str, occurrence: int = 1) -> int:
    """1-based line of the ``occurrence``-th line containing ``needle``."""
    lines = [i + 1 for i, text in enumerate(path.read_text().splitlines()) if needle in text]
    assert len(lines) >= occurrence, f"{needle!r} not in {path}"
    return lines[occurrence - 1]


def position(trait: Trait) -> Position:
    assert trait.source and trait.file_pointer is not None, trait
    found = locate(trait.source, trait.file_pointer)
    assert found is not None, (trait.source, trait.file_pointer)
    return found
