"""The JSON result as streamed by the reporter: the same document as the whole tree, guidance
once per trait, vulnerabilities listed once per image, fixed revisions built on demand."""

from __future__ import annotations

import copy
import datetime
import io
import json
import random
from pathlib import Path
from typing import Any

import orjson
import pytest

from ecs_exposure.analysis.unknown import Unknown
from ecs_exposure.detectors.registry import SPECS
from ecs_exposure.exposure.vulnerabilities import top_vulnerabilities
from ecs_exposure.model import ScanResult
from ecs_exposure.remediation.guidance import guidance_for
from ecs_exposure.remediation.register_input import deep_copy
from ecs_exposure.reporters import json_report
from ecs_exposure.reporters.base import ReportOptions
from ecs_exposure.reporters.context import ReportContext
from ecs_exposure.sources import positions as positions_module
from ecs_exposure.sources.positions import PositionCache, locate
from support.report_inputs import (
    DEMO_SETTINGS,
    demo_context,
    demo_result,
    hostile_scan,
)


@pytest.fixture(scope="module")
def demo() -> ScanResult:
    return demo_result()


def _tree_bytes(result: ScanResult, context: ReportContext | None = None) -> bytes:
    """The result as one tree, laid out as :func:`json_report.write` promises: the small
    members indented, each finding, posture entry and image on a line of its own."""
    lines = [b"{"]
    members = list(json_report.result_dict(result, context).items())
    for number, (key, value) in enumerate(members):
        comma = b"," if number < len(members) - 1 else b""
        streamed = key in ("findings", "task_definition_findings", "posture", "images")
        if not streamed or not value:
            text = orjson.dumps(value, option=orjson.OPT_INDENT_2).replace(b"\n", b"\n  ")
            lines.append(b"  " + orjson.dumps(key) + b": " + text + comma)
            continue
        pairs = isinstance(value, dict)
        lines.append(b"  " + orjson.dumps(key) + b": " + (b"{" if pairs else b"["))
        items = list(value.items()) if pairs else value
        for index, item in enumerate(items):
            text = (orjson.dumps(item[0]) + b": " + orjson.dumps(item[1]) if pairs
                    else orjson.dumps(item))
            lines.append(b"    " + text + (b"," if index < len(items) - 1 else b""))
        lines.append(b"  " + (b"}" if pairs else b"]") + comma)
    return b"\n".join(lines) + b"\n}\n"


def test_streamed_result_is_byte_identical_to_the_whole_tree(demo: ScanResult) -> None:
    buffer = io.BytesIO()
    json_report.write(demo, buffer, ReportOptions(context=demo_context()))
    assert buffer.getvalue() == _tree_bytes(demo, demo_context())
    parsed = json.loads(buffer.getvalue())
    assert parsed["findings"] and parsed["images"]


def test_streamed_result_of_a_hostile_estate_is_valid_and_identical(tmp_path: Path) -> None:
    result, context = hostile_scan(tmp_path)
    data = json_report.render_bytes(result, context)
    assert data == _tree_bytes(result, context)
    assert json.loads(data)["schema"] == json_report.SCHEMA
    assert b"\x1b" not in data


def test_empty_result_streams_empty_members(demo: ScanResult) -> None:
    import dataclasses

    empty = dataclasses.replace(demo, findings=(), task_definition_findings=(), errors=(),
                                unscanned_images=(), incomplete=(), posture=())
    data = json_report.render_bytes(empty, demo_context())
    assert data == _tree_bytes(empty, demo_context())
    doc = json.loads(data)
    assert doc["findings"] == [] and doc["images"] == {} and doc["guidance"] == {}
    assert doc["posture"] == [] and doc["summary"]["posture"]["traits"] == 0


def test_guidance_is_listed_once_per_trait_id(demo: ScanResult) -> None:
    doc = json.loads(json_report.render_bytes(demo, demo_context()))
    ids = {t["id"] for f in doc["findings"] + doc["task_definition_findings"] + doc["posture"]
           for t in f["traits"]}
    assert set(doc["guidance"]) == ids      # posture-only traits (windows-admin-user) too
    for finding in doc["findings"]:
        for trait in finding["traits"]:
            guidance = doc["guidance"][trait["id"]]
            assert guidance["remediation"] == guidance_for(trait["id"]).change
            assert guidance["category"] == SPECS[trait["id"]].category
            assert guidance["contextual"] is SPECS[trait["id"]].contextual
            assert not {"remediation", "title", "category", "contextual", "references"} & \
                set(trait)                                  # once per id, under guidance
    every = json_report.result_dict(demo, demo_context(), include=json_report.EVERY_FIELD)
    for finding in every["findings"]:
        for trait in finding["traits"]:
            assert trait["remediation"] == guidance_for(trait["id"]).change
            assert trait["title"] == SPECS[trait["id"]].title
    privileged = doc["guidance"]["privileged-container"]
    assert privileged["risk"] and privileged["if_needed"]
    assert privileged["text"] == guidance_for("privileged-container").text()
    assert any(ref.startswith("https://") for ref in privileged["references"])
    assert len(privileged["references"]) == len(set(privileged["references"]))


def test_vulnerabilities_are_detailed_once_per_image_and_referenced_elsewhere(
        demo: ScanResult) -> None:
    doc = json.loads(json_report.render_bytes(
        demo, include=frozenset({json_report.VULNERABILITIES})))
    storefront = next(f for f in doc["findings"] if f["resource"]["name"] == "storefront-web")
    top = storefront["vulnerabilities"]["top"]
    assert top and all("evidence" not in v and None not in v.values() for v in top)
    image = storefront["vulnerabilities"]["containers"][0]["image"]
    listed = {v["id"]: v for v in doc["images"][image]["vulnerabilities"]}
    webp = listed["CVE-2023-4863"]
    assert webp["kev"] is True and webp["exploitable"] is True
    assert webp["evidence"] and webp["evidence"][0]["file"].endswith(".json")
    assert all(value is not None and value != [] for v in listed.values()
               for value in v.values())
    exploitable = next(t for t in storefront["traits"]
                       if t["id"] == "exploitable-vulnerability")
    assert exploitable["evidence"]["facts"]["top"][0]["id"] == "CVE-2023-4863"
    assert "evidence" not in exploitable["evidence"]["facts"]["top"][0]


def test_vulnerability_dict_keeps_every_field_with_a_value(demo: ScanResult) -> None:
    for finding in demo.findings:
        for entry in finding.vulnerabilities:
            for item in entry.assessment.vulnerabilities + entry.assessment.suppressed:
                full = item.as_dict()
                assert json_report.vulnerability_dict(item) == {
                    k: v for k, v in full.items() if v is not None and v != []} | (
                    {"cvss": {k: v for k, v in full["cvss"].items() if v is not None}}
                    if full["cvss"] else {})


def test_fixed_revisions_are_built_on_demand_and_shared(demo: ScanResult) -> None:
    from ecs_exposure.remediation.fixed import FixedRevisions

    context = demo_context()
    assert isinstance(context.fixes, FixedRevisions)
    storefront = next(f for f in demo.findings if f.name == "storefront-web")
    first = context.fixed_task_definition(storefront)
    again = context.fixed_task_definition(storefront)  # asked twice: built again, same
    assert first == again and first is not None
    assert first["containerDefinitions"][0].get("privileged") is not True
    internal = next((f for f in demo.findings if not any(
        t.resource.startswith("arn:aws:ecs") and ":task-definition/" in t.resource
        for t in f.traits)), None)
    if internal is not None:
        assert context.fixed_task_definition(internal) is None


def test_top_vulnerabilities_match_a_full_sort(demo: ScanResult) -> None:
    rng = random.Random(7)
    entries = [e for f in demo.findings for e in f.vulnerabilities]
    for _ in range(30):
        chosen = rng.sample(entries, k=min(len(entries), rng.randint(1, 4)))
        every = sorted(((c.container, a) for c in chosen for a in c.assessment.vulnerabilities),
                       key=lambda pair: (pair[1].rank(), pair[1].record.id, pair[0]))
        for limit in (1, 2, 5):
            assert top_vulnerabilities(chosen, limit) == every[:limit]


def test_position_cache_agrees_with_locate(tmp_path: Path) -> None:
    document = {"services": [{"name": f"s{i}", "events": [{"m": "x\ny"}] * (i % 3),
                              "opts": {"a/b": i, "c~d": [1, {"e": None}]}}
                             for i in range(40)]}
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(document, indent=3))
    pointers = [f"/services/{i}/{leaf}" for i in range(40)
                for leaf in ("name", "opts/a~1b", "opts/c~0d/1/e", "events/0/m", "missing")]
    pointers += ["", "/services", "/nope"]
    random.Random(3).shuffle(pointers)
    cache = PositionCache()
    cache.prefetch((str(path), p) for p in pointers)
    for pointer in pointers:
        assert cache.locate(str(path), pointer) == locate(str(path), pointer), pointer
    assert cache.locate(str(tmp_path / "gone.json"), "/a") is None
    cache.prefetch([(str(tmp_path / "gone.json"), "/a")])


def test_deep_copy_is_deep_and_keeps_non_json_values() -> None:
    document: dict[str, Any] = {"a": [{"b": 1, "c": "x"}], "d": 1.5, "e": None, "f": True}
    copied = deep_copy(document)
    assert copied == document
    copied["a"][0]["b"] = 2
    assert document["a"][0]["b"] == 1
    marker = Unknown("known after apply", text="(known after apply)")
    stamped: dict[str, Any] = {"image": marker, "when": datetime.datetime(2024, 1, 1)}
    kept = deep_copy(stamped)
    assert isinstance(kept["image"], Unknown) and kept["image"] == marker
    assert isinstance(kept["when"], datetime.datetime)
    huge = {"n": 2 ** 70, "keys": {1: "int key"}}
    assert deep_copy(huge) == copy.deepcopy(huge)


def test_result_does_not_depend_on_string_hashing(tmp_path: Path) -> None:
    """Two runs on the same inputs write the same bytes (apart from the time), whatever
    order Python's per-process string hashing gives sets and dicts built from them."""
    import os
    import subprocess
    import sys

    outputs = []
    for seed in ("1", "2"):
        output = tmp_path / f"result-{seed}.json"
        subprocess.run([sys.executable, "-m", "ecs_exposure", "scan", "--demo", "--format",
                        "json", "--output", str(output)],
                       env={**os.environ, "PYTHONHASHSEED": seed}, check=False,
                       capture_output=True)
        document = json.loads(output.read_bytes())
        document.pop("generated_at")
        outputs.append(json.dumps(document))
    assert outputs[0] == outputs[1]


def test_background_prefetch_agrees_with_locate(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(positions_module, "BACKGROUND_MINIMUM", 0)
    document = {"items": [{"name": f"n{i}", "tags": {"a/b": [i, {"c": None}]}}
                          for i in range(30)]}
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(document, indent=2))
    other = tmp_path / "notes.txt"              # not JSON: located by the caller instead
    other.write_text("plain text\n")
    pointers = [f"/items/{i}/{leaf}" for i in range(30)
                for leaf in ("name", "tags/a~1b/1/c", "missing")]
    cache = PositionCache()
    cache.prefetch([(str(path), p) for p in pointers] + [(str(other), "/x"),
                                                         (str(tmp_path / "gone.json"), "/a")],
                   background=True)
    for pointer in pointers:
        assert cache.locate(str(path), pointer) == locate(str(path), pointer), pointer
    assert cache.locate(str(other), "/x") is None
    assert cache.worker_peak_kib and cache.worker_peak_kib > 0   # the worker answered


def test_background_prefetch_can_be_stopped_unread(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(positions_module, "BACKGROUND_MINIMUM", 0)
    path = tmp_path / "doc.json"
    path.write_text(json.dumps({"a": [1, 2, 3]}))
    cache = PositionCache()
    cache.prefetch([(str(path), "/a/2")], background=True)
    cache.close()
    assert cache.locate(str(path), "/a/2") == locate(str(path), "/a/2")


def test_scan_locates_evidence_in_the_background_with_the_same_result(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from ecs_exposure.sources import positions

    expected = json_report.render_bytes(demo_result(), demo_context())
    monkeypatch.setattr(positions, "BACKGROUND_MINIMUM", 0)
    from contextlib import ExitStack

    from ecs_exposure.pipeline import scan_for_reports
    from ecs_exposure.sources.load import demo_paths, load_inputs

    with ExitStack() as stack:
        paths = demo_paths(stack)
        inventory, report = load_inputs(paths)
        result, context = scan_for_reports(  # judged as demo_result() is
            inventory, DEMO_SETTINGS, errors=report.errors, skipped=report.skipped,
            inputs=[str(p) for p in paths], locate_evidence=True)
        with context:
            rendered = json_report.render_bytes(result, context)
    original = json.loads(expected)
    background = json.loads(rendered)
    original.pop("generated_at")
    background.pop("generated_at")
    assert background == original
    assert context.positions.worker_peak_kib                     # the worker answered


@pytest.mark.parametrize("executable", ["/bin/false", "/nonexistent/python3"])
def test_background_prefetch_falls_back_when_the_worker_fails(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, executable: str) -> None:
    """A worker that cannot start, or exits without answering, costs nothing but time: the
    positions are located in this process instead."""
    import sys

    path = tmp_path / "doc.json"
    path.write_text(json.dumps({"a": [{"b": 1}, {"b": 2}]}, indent=2))
    monkeypatch.setattr(sys, "executable", executable)
    monkeypatch.setattr(positions_module, "BACKGROUND_MINIMUM", 0)
    cache = PositionCache()
    cache.prefetch([(str(path), "/a/1/b"), (str(path), "/a/0")], background=True)
    assert cache.locate(str(path), "/a/1/b") == locate(str(path), "/a/1/b") is not None
    assert cache.locate(str(path), "/a/0") == locate(str(path), "/a/0")
    assert cache.worker_peak_kib is None


def test_a_small_background_prefetch_is_done_in_process(tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    path.write_text(json.dumps({"a": [1, 2]}))
    cache = PositionCache()
    cache.prefetch([(str(path), "/a/1")], background=True)   # far below the minimum
    assert cache.locate(str(path), "/a/1") == locate(str(path), "/a/1")
    assert cache.worker_peak_kib is None                       # no worker was started


def test_the_compact_result_leaves_the_full_listings_out(demo: ScanResult) -> None:
    compact = json.loads(json_report.render_bytes(demo, demo_context()))
    full = json.loads(json_report.render_bytes(demo, demo_context(),
                                               frozenset(json_report.INCLUDES)))
    assert compact["schema"] == full["schema"] == "ecs-exposure/result@3"
    assert compact["images"] and all("vulnerabilities" not in image and "suppressed" not in image
                                     for image in compact["images"].values())
    assert all(image["vulnerabilities"] is not None for image in full["images"].values())
    assert {k: {x: y for x, y in v.items() if x not in ("vulnerabilities", "suppressed")}
            for k, v in full["images"].items()} == compact["images"]
    for short, whole in zip(compact["findings"], full["findings"], strict=True):
        assert "task_definition" not in short["remediation"]
        assert short["remediation"]["changes"] == whole["remediation"]["changes"]
        assert (whole["remediation"]["task_definition"] is None) == \
            (whole["remediation"]["changes"] is None)
        assert short["vulnerabilities"] == whole["vulnerabilities"]
        for trait, located in zip(short["traits"], whole["traits"], strict=True):
            for item in trait["evidence"].get("facts", {}).get("top", []):
                assert isinstance(item, str) and item.startswith(("CVE-", "GHSA-"))
            assert not {"file_pointer", "location"} & set(trait["evidence"])
            if "file_pointer" in located["evidence"]:           # --include locations
                assert located["evidence"]["location"]["line"] >= 1
        for entry in short["vulnerabilities"]["containers"]:
            assert set(entry) == {"container", "image", "task_definition", "counts"}
            assert entry["counts"] == compact["images"][entry["image"]]["counts"]
    assert any("location" in t["evidence"] for f in full["findings"] for t in f["traits"])
    every = json_report.result_dict(demo, demo_context(), include=json_report.EVERY_FIELD)
    tops = [item for f in every["findings"] for t in f["traits"]
            for item in t["evidence"].get("facts", {}).get("top", [])]
    assert tops and all(set(item) <= set(json_report.SHORT_REFERENCE) and "id" in item
                        for item in tops)
    assert len(json_report.render_bytes(demo, demo_context())) < len(
        json_report.render_bytes(demo, demo_context(), frozenset(json_report.INCLUDES)))


def test_posture_traits_a_finding_lists_refer_to_it(demo: ScanResult) -> None:
    doc = json.loads(json_report.render_bytes(demo, demo_context()))
    findings = {f["id"]: f for f in doc["findings"] + doc["task_definition_findings"]}
    every = orjson.loads(orjson.dumps(json_report.result_dict(
        demo, demo_context(), include=frozenset({json_report.POSTURE_IN_FULL}))))
    referred = 0
    for entry, whole in zip(doc["posture"], every["posture"], strict=True):
        for trait, in_full in zip(entry["traits"], whole["traits"], strict=True):
            if "listed_in" not in trait:
                assert trait == in_full and "file" in trait["evidence"]
                continue
            referred += 1
            assert set(trait) == {"id", "container", "listed_in", "trait", "status",
                                  "severity"}
            listed = findings[trait["listed_in"]]["traits"][trait["trait"]]
            assert (listed["id"], listed["container"]) == (trait["id"], trait["container"])
            assert {k: v for k, v in listed.items() if k != "status"} == {
                k: v for k, v in in_full.items() if k not in ("status", "severity")}
            assert trait["severity"] == in_full["severity"]
    assert referred > 10
