"""Reading a baseline: an earlier JSON result, checked, reduced to what the comparison needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from ecs_exposure.errors import BaselineError
from ecs_exposure.model import Severity
from ecs_exposure.reporters.json_report import render_bytes
from ecs_exposure.sources import baseline
from ecs_exposure.sources.baseline import load_baseline, previous_result
from support.report_inputs import demo_result
from support.timing import deadline


def test_a_result_is_read_back_with_every_finding() -> None:
    result = demo_result()
    loaded = previous_result(orjson.loads(render_bytes(result)), "before.json")
    every = result.findings + result.task_definition_findings
    assert set(loaded.findings) == {f.id for f in every}
    storefront = next(f for f in every if f.name == "storefront-web")
    found = loaded.findings[storefront.id]
    assert found.severity == storefront.severity == Severity.CRITICAL
    assert (found.arn, found.name, found.title) == (storefront.arn, storefront.name,
                                                    storefront.title)
    assert (found.account, found.region) == ("111122223333", "us-east-1")
    assert set(found.traits) == {t.id for t in storefront.traits}


@pytest.mark.parametrize("doc,message", [
    ([], "not an ecs-exposure JSON result"),
    ({"schema": "ecs-exposure/snapshot@1"}, "not an ecs-exposure JSON result"),
    ({"schema": "ecs-exposure/result@1", "findings": {}}, "/findings is not a list"),
    ({"schema": "ecs-exposure/result@1", "findings": [{"severity": "HIGH"}]},
     "/findings/0: a finding without an id"),
    ({"schema": "ecs-exposure/result@1", "findings": [{"id": "x", "severity": "SEVERE"}]},
     "/findings/0/severity: not a severity"),
])
def test_a_baseline_that_is_not_a_result_is_refused(doc: Any, message: str) -> None:
    with pytest.raises(BaselineError, match=message):
        previous_result(doc, "before.json")


def test_load_baseline_reads_a_json_result(tmp_path: Path) -> None:
    path = tmp_path / "before.json"
    path.write_bytes(render_bytes(demo_result()))
    loaded = load_baseline(path)
    assert loaded.source == str(path) and len(loaded.findings) == 11
    (tmp_path / "bad.json").write_text("{nope")
    with pytest.raises(BaselineError, match="not JSON"):
        load_baseline(tmp_path / "bad.json")
    with pytest.raises(BaselineError, match="cannot read"):
        load_baseline(tmp_path / "absent.json")


def test_a_baseline_that_never_ends_is_refused_at_the_size_limit(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # read_bytes of /dev/zero (or a pipe that never closes) read until memory ran out
    monkeypatch.setattr(baseline, "MAX_BASELINE_BYTES", 4096)
    with deadline(20), pytest.raises(BaselineError, match="above the 4,096-byte limit"):
        load_baseline(Path("/dev/zero"))


@pytest.mark.parametrize("schema", ["ecs-exposure/result@1", "ecs-exposure/result@2"])
def test_an_earlier_result_baseline_is_still_read(schema: str) -> None:
    """Results written before the compact result (``result@1``) or before its third form
    (``@2``) stay usable baselines: the fields a baseline reads are the same in all."""
    doc = orjson.loads(render_bytes(demo_result()))
    assert doc["schema"] == "ecs-exposure/result@3"
    doc["schema"] = schema
    for finding in doc["findings"]:      # what @1 had instead of the changes
        finding["remediation"] = {"summary": finding["remediation"]["summary"],
                                  "task_definition": None}
    assert previous_result(doc, "old.json").findings.keys() == \
        previous_result(orjson.loads(render_bytes(demo_result())), "new.json").findings.keys()
