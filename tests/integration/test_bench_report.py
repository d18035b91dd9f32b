"""The benchmark's report (bench/report.py, ``bench/run.py --from-results``): the live-collection
section and its budget line are rendered when a results document has them, and results files
written before the live collection was measured still render, without the section.

Nothing is measured here: the documents are the committed results file and small fakes.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

from support import ROOT

if str(ROOT) not in sys.path:  # bench/ is a folder of scripts beside src/, not installed
    sys.path.insert(0, str(ROOT))

from bench import run  # noqa: E402
from bench.report import END, START, evaluate_budgets, update_document  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "2026-11-28.json"
"""A committed results file; without its ``live_collection`` key it is what the runner wrote
before ``--live`` existed."""

LIVE: dict[str, Any] = {
    "services": 30, "clusters": 3, "revisions": 4, "roles": 2, "balancers": 1, "tasks": 30,
    "region": "us-east-1",
    "calls_by_action": {"ecs:DescribeServices": 3, "ecs:ListServices": 3,
                        "sts:GetCallerIdentity": 1},
    "calls_total": 7, "formula": 7, "equal": True, "seeding_seconds": 4.2,
    "collection_seconds": 1.5, "errors": 0, "incomplete": 0, "peak_rss_mib": 300.0,
    "child_seconds": 7.0,
}


def _old_results() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(RESULTS.read_text())
    document.pop("live_collection", None)
    document.get("settings", {}).pop("live", None)
    return document


def _docs(tmp_path: Path) -> Path:
    path = tmp_path / "BENCHMARKS.md"
    path.write_text(f"# Benchmarks\n\nprose before\n\n{START}\nold block\n{END}\n\nprose after\n")
    return path


def _block(path: Path) -> str:
    text = path.read_text()
    assert text.startswith("# Benchmarks\n\nprose before\n\n") and text.endswith("prose after\n")
    return text.split(START, 1)[1].split(END, 1)[0]


def test_from_results_without_live_collection_renders_without_the_section(
        tmp_path: Path) -> None:
    docs = _docs(tmp_path)
    old = tmp_path / "old-results.json"
    old.write_text(json.dumps(_old_results()))
    assert run.main(["--from-results", str(old), "--docs", str(docs)]) == 0
    block = _block(docs)
    assert "old block" not in block and "#### Budgets" in block
    assert "Live collection" not in block and "calls = formula" not in block


def test_live_collection_is_rendered_with_the_formula_and_a_budget_line(
        tmp_path: Path) -> None:
    document = _old_results() | {"live_collection": copy.deepcopy(LIVE)}
    document["budgets"] = evaluate_budgets(document)
    docs = _docs(tmp_path)
    update_document(docs, document)
    lines = _block(docs).splitlines()
    assert "| live collection: calls = formula | measured = `callcount.expected_calls` | " \
           "7 calls, formula 7 | yes | 30 services against moto, 0 collection errors |" in lines
    assert "#### Live collection against moto (30 services)" in lines
    assert "| ecs:DescribeServices | 3 |" in lines and "| sts:GetCallerIdentity | 1 |" in lines
    assert "| **total measured** | **7** |" in lines
    assert "| formula (`callcount.expected_calls`) | 7 |" in lines
    summary = next(line for line in lines if line.startswith("Measured = formula"))
    assert summary.startswith("Measured = formula: yes; 0 collection errors. "
                              "Collection 1.5 s wall")
    assert "indicative only" in summary


def test_a_count_that_differs_from_the_formula_misses_the_budget(tmp_path: Path) -> None:
    live = copy.deepcopy(LIVE) | {"calls_total": 9, "equal": False, "errors": 2}
    document = _old_results() | {"live_collection": live}
    budget = next(b for b in evaluate_budgets(document)
                  if b["name"] == "live collection: calls = formula")
    assert budget["met"] is False and budget["measured"] == "9 calls, formula 7"
    document["budgets"] = evaluate_budgets(document)
    docs = _docs(tmp_path)
    update_document(docs, document)
    block = _block(docs)
    assert "| 9 calls, formula 7 | **no** |" in block
    assert "Measured = formula: **no**; 2 collection errors." in block
