"""One nesting limit for every parsed document, whatever its size: a deep value in a small
file is an error naming the file and its depth, and nothing downstream (the writers, ``fix``)
ever meets a value nested deeper than they can handle."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from ecs_exposure.model import ScanResult
from ecs_exposure.pipeline import scan_for_reports
from ecs_exposure.remediation.fixers import FixOptions
from ecs_exposure.remediation.plan import plan_for
from ecs_exposure.remediation.writer import write_plans
from ecs_exposure.reporters import FORMATS
from ecs_exposure.reporters.base import Reporter, ReportOptions
from ecs_exposure.reporters.context import ReportContext
from ecs_exposure.sources.jsonfile import (
    MAX_DEPTH,
    InputError,
    TooDeep,
    check_value_depth,
    loads_bounded,
    parse_json,
)
from support.builders import SETTINGS, container, task_definition
from support.iac_helpers import scan_paths

_LABELS_DEPTH = 4
"""Levels of a task definition above a container's ``dockerLabels`` value."""


def nested(depth: int) -> str:
    """A JSON value of exactly ``depth`` levels."""
    return "[" * depth + "1" + "]" * depth


def privileged_td_with_label(family: str, label_depth: int) -> str:
    """A small privileged task definition (so it has a finding and a fix) with a
    ``dockerLabels`` value nested ``label_depth`` levels; the file nests 4 levels more."""
    td = task_definition(family=family, containers=[container(privileged=True)])
    td["containerDefinitions"][0]["dockerLabels"] = {"deep": "@@"}
    return json.dumps(td).replace('"@@"', nested(label_depth))


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 300, 1_000, 1_023])
def test_a_small_document_past_the_limit_is_refused_with_its_depth(depth: int) -> None:
    with pytest.raises(TooDeep, match=f"JSON nested {depth} levels deep \\(limit {MAX_DEPTH}\\)"):
        parse_json(nested(depth).encode())


def test_a_document_at_the_limit_is_read() -> None:
    assert parse_json(nested(MAX_DEPTH).encode()) is not None
    assert parse_json(b'{"a": "' + b"[" * 5_000 + b'"}') == {"a": "[" * 5_000}


def test_a_deep_value_in_a_small_file_fails_that_file_alone(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text(privileged_td_with_label("deep", 300))
    assert deep.stat().st_size < 2_000                     # far under the old 50 KB guard
    good = tmp_path / "good.json"
    good.write_text(privileged_td_with_label("good", 2))
    result, inventory, report = scan_paths([tmp_path])
    assert [(e.source, e.message) for e in report.errors] == [
        (str(deep), f"JSON nested {300 + _LABELS_DEPTH} levels deep (limit {MAX_DEPTH})")]
    assert report.read == [str(good)]
    for fmt in FORMATS.values():                           # every writer, and fix, still runs
        assert _written(fmt, result)
    plans = [plan_for(inventory, f, FixOptions()) for f in result.task_definition_findings]
    assert write_plans(tmp_path / "fix", plans)["plans"]


def _written(reporter: Reporter, result: ScanResult,
             context: ReportContext | None = None) -> str:
    """What one reporter writes for ``result``, as text (with the scan's fixed revisions
    when ``context`` carries them, whole: ``--include fixed-revisions``)."""
    stream = io.BytesIO() if reporter.binary else io.StringIO()
    reporter.write(result, stream, ReportOptions(context=context,
                                                 include=frozenset({"fixed-revisions"})))
    value = stream.getvalue()
    return value.decode("utf-8") if isinstance(value, bytes) else value


def test_every_writer_and_fix_handle_a_document_at_the_limit(tmp_path: Path) -> None:
    """The limit leaves room for the levels the result adds around an input value."""
    path = tmp_path / "td.json"
    path.write_text(privileged_td_with_label("edge", MAX_DEPTH - _LABELS_DEPTH))
    _, inventory, report = scan_paths([path])
    assert report.read == [str(path)] and not report.errors
    result, context = scan_for_reports(inventory, SETTINGS)
    with context:
        rendered = {name: _written(fmt, result, context) for name, fmt in FORMATS.items()}
    assert '"deep"' in rendered["json"]                    # the deep value is in the result
    plans = [plan_for(inventory, f, FixOptions()) for f in result.task_definition_findings]
    written = write_plans(tmp_path / "fix", plans)
    [entry] = written["plans"]
    register = json.loads((tmp_path / "fix" / entry["directory"] /
                           "task-definition.json").read_text())
    assert register["containerDefinitions"][0]["dockerLabels"]["deep"] is not None


def test_json_inside_a_string_is_held_to_the_same_limit() -> None:
    assert loads_bounded(nested(MAX_DEPTH)) is not None
    with pytest.raises(TooDeep):
        loads_bounded(nested(MAX_DEPTH + 1))
    with pytest.raises(orjson.JSONDecodeError):            # callers keep non-JSON as text
        loads_bounded("not JSON")
    with pytest.raises(orjson.JSONDecodeError):            # a lone surrogate is not a crash
        loads_bounded('["\ud800"]')


def _value(depth: int) -> Any:
    value: Any = "leaf"
    for level in range(depth):
        value = {"k": value} if level % 2 else [value]
    return value


def test_parsed_values_are_measured_without_recursion() -> None:
    check_value_depth(_value(MAX_DEPTH), "HCL")
    with pytest.raises(InputError, match=f"HCL nested more than {MAX_DEPTH} levels deep"):
        check_value_depth(_value(MAX_DEPTH + 1), "HCL")
    with pytest.raises(TooDeep):
        check_value_depth(_value(100_000), "YAML")         # far past the interpreter's stack
