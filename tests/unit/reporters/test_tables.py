"""CSV and Markdown: golden files on the demo estate, and hostile names kept inert.

Regenerate the golden files after an intended change with
``UPDATE_GOLDEN=1 PYTHONPATH=src python3 -m pytest tests/test_report_tables.py`` and review
the diff.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import os
import re
from pathlib import Path

import pytest

from ecs_exposure import __version__
from ecs_exposure.model import ScanResult
from ecs_exposure.reporters import csv_report, markdown
from ecs_exposure.reporters.posture_view import beyond_findings
from support import FIXTURES
from support.report_inputs import (
    FIXED_TIME,
    FORMULA_NAME,
    XSS_NAME,
    demo_context,
    demo_dir,
    demo_result,
    hostile_result,
)

GOLDEN = FIXTURES / "golden"


def _normalised(text: str) -> str:
    """Stable across machines and releases: fixed time, demo folder and version as markers."""
    for folder in (demo_dir(), markdown.md(demo_dir())):       # as is, and Markdown-escaped
        text = text.replace(folder, "<demo>")
    return text.replace(f"ecs-exposure {__version__}", "ecs-exposure <version>")


def _check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode())
    assert path.exists(), f"missing golden file {path}; run with UPDATE_GOLDEN=1"
    assert text == path.read_bytes().decode(), f"{name} differs from golden"


@pytest.fixture(scope="module")
def fixed_demo() -> ScanResult:
    return dataclasses.replace(demo_result(), generated_at=FIXED_TIME)


def test_csv_golden(fixed_demo: ScanResult) -> None:
    _check_golden("demo.csv", _normalised(csv_report.render(fixed_demo, demo_context())))


def test_markdown_golden(fixed_demo: ScanResult) -> None:
    _check_golden("demo.md", _normalised(markdown.render(fixed_demo, demo_context())))


def test_csv_has_one_row_per_trait_with_locations() -> None:
    result = demo_result()
    rows = list(csv.DictReader(io.StringIO(csv_report.render(result))))
    findings = result.findings + result.task_definition_findings
    of_findings = [r for r in rows if r["record"] == "finding"]
    assert len(of_findings) == sum(len(f.traits) for f in findings) > 40
    # then one row per posture weakness no finding lists
    posture = [r for r in rows if r["record"] == "posture"]
    assert len(posture) == len(list(beyond_findings(result))) > 0
    assert rows[len(of_findings):] == posture
    assert list(rows[0]) == list(csv_report.COLUMNS)
    privileged = next(r for r in rows if r["trait"] == "privileged-container"
                      and r["name"] == "storefront-web")
    assert (privileged["severity"], privileged["cluster"], privileged["line"],
            privileged["column"]) == ("CRITICAL", "prod", "40", "23")
    assert privileged["file"].endswith("storefront-web-7.json")
    assert {r["kind"] for r in rows} == {"service", "task definition"}


def test_csv_neutralises_formulas(tmp_path: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(csv_report.render(hostile_result(tmp_path)))))
    names = {r["name"] for r in rows}
    assert "'" + FORMULA_NAME in names and XSS_NAME in names
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
    assert csv_report.cell("-1+2") == "'-1+2" and csv_report.cell("@SUM(A1)") == "'@SUM(A1)"
    assert csv_report.cell("+x") == "'+x" and csv_report.cell("\t=1") == "'\t=1"
    assert csv_report.cell(40) == 40 and csv_report.cell(None) == ""
    assert csv_report.cell("a=b") == "a=b"


def test_markdown_summary_and_limits() -> None:
    result = demo_result()
    text = markdown.render(result)
    assert text.startswith(f"## ecs-exposure: {len(result.findings)} exposures in "
                           f"{result.services} services\n")
    by_severity = {s: sum(1 for f in result.findings if f.severity.name == s)
                   for s in ("CRITICAL", "HIGH", "MEDIUM", "LOW")}
    summary = " · ".join(f"**{n} {s}**" if n else f"0 {s}" for s, n in by_severity.items())
    assert summary in text
    findings_part = text.split("### Posture")[0]
    table = [line for line in findings_part.splitlines() if line.startswith("| ")]
    total = len(result.findings) + len(result.task_definition_findings)
    assert len(table) == 1 + total                     # header + every finding (under the cap)
    assert text.count("<details>") == markdown.DETAILED
    assert len(text) < 65536


def test_markdown_escapes_pipes_html_and_markdown(tmp_path: Path) -> None:
    text = markdown.render(hostile_result(tmp_path))
    assert "<img" not in text and "<b>" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and "HYPERLINK" in line]
    assert rows, text
    for row in rows:
        cells = re.split(r"(?<!\\)\|", row)
        assert len(cells) == 6, row                   # 4 cells + the outer pipes: no extra cell
    assert "\\@team" in text and "\\|" in text
    assert markdown.md("# heading") == "\\# heading"
    assert markdown.md("- item") == "\\- item" and markdown.md("1. x") == "\\1. x"
    assert markdown.md("[a](javascript:x)") == "\\[a\\](javascript:x)"
    assert markdown.md("a\nb|c") == "a b\\|c"


def test_markdown_control_and_bidi_characters_are_shown_as_escapes() -> None:
    assert markdown.md("a\x1b[31mb\u202ec") == "a\\\\x1b\\[31mb\\\\x202ec"
