"""Plain data: a scan is a function of its inventory and its settings, the Inventory holds
inputs and indexes only, and the result holds data only."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from contextlib import ExitStack
from datetime import timedelta

from ecs_exposure.inventory import Inventory
from ecs_exposure.model import ScanResult
from ecs_exposure.pipeline import scan_for_reports, scan_inventory
from ecs_exposure.reporters import json_report
from ecs_exposure.settings import ScanMemo, ScanSettings
from ecs_exposure.sources.load import demo_paths, load_inputs
from support.builders import CLOCK, SETTINGS

SETTING_NAMES = {"policy", "now", "today", "clock", "epss_threshold", "intel_dir", "settings",
                 "cache", "memo", "scanned_by", "fixes", "positions"}
"""Names a setting, a clock or a cache would have on the model."""


def demo_inventory() -> Inventory:
    with ExitStack() as stack:
        inventory, _ = load_inputs(demo_paths(stack))
    return inventory


def test_a_scan_is_deterministic_given_its_settings() -> None:
    inventory = demo_inventory()
    first = scan_inventory(inventory, SETTINGS)
    again = scan_inventory(inventory, ScanSettings(now=CLOCK))      # equal settings
    assert first.findings and first == again
    assert first.generated_at == "2026-11-28T12:00:00Z"               # the one clock
    other = scan_inventory(demo_inventory(), ScanSettings(now=CLOCK))  # equal inputs
    assert other == first


def test_the_settings_decide_the_result() -> None:
    inventory = demo_inventory()
    now = scan_inventory(inventory, SETTINGS)
    later = scan_inventory(inventory, dataclasses.replace(SETTINGS,
                                                          now=CLOCK + timedelta(days=3650)))
    stricter = scan_inventory(inventory, dataclasses.replace(SETTINGS, epss_threshold=0.0))
    assert later.findings != now.findings and stricter.findings != now.findings
    assert scan_inventory(inventory, SETTINGS) == now              # and nothing stuck


def test_the_inventory_holds_no_setting_clock_or_cache() -> None:
    inventory = demo_inventory()
    for part in (inventory, inventory.images, inventory.vulnerabilities):
        names = {f.name.lstrip("_") for f in dataclasses.fields(part)} | set(vars(part))
        assert not names & SETTING_NAMES, type(part).__name__
        assert not any(callable(getattr(part, f.name)) for f in dataclasses.fields(part))
    before = copy.deepcopy(inventory)
    result, context = scan_for_reports(inventory, SETTINGS, locate_evidence=True)
    with context:
        json_report.render_bytes(result, context)
    assert inventory == before                  # scanning and reporting wrote nothing to it


def test_the_result_holds_data_only() -> None:
    names = {f.name for f in dataclasses.fields(ScanResult)}
    assert not names & SETTING_NAMES
    result = scan_inventory(demo_inventory(), SETTINGS)
    assert pickle.loads(pickle.dumps(result)) == result   # no callable, cache or process


def test_the_memo_computes_once_per_key() -> None:
    memo = ScanMemo()
    calls: list[int] = []
    assert memo.once("k", lambda: calls.append(1) or 7) == 7
    assert memo.once("k", lambda: calls.append(2) or 8) == 7
    assert calls == [1]
    table = memo.table("module.table")
    table["x"] = 1
    assert memo.table("module.table") == {"x": 1}
