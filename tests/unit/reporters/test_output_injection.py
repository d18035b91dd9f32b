"""Names from inputs stay inert in the CSV, in PLAN.md and on the terminal.

Each test states the injection an attacker would try and how a consumer (a spreadsheet, a
Markdown renderer, a terminal) would read the output, then checks that it reads as text.
"""

from __future__ import annotations

import csv
import io
import re
import sys
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecs_exposure.pipeline import scan_inventory
from ecs_exposure.remediation.fixers import FixOptions
from ecs_exposure.remediation.plan import plan_for
from ecs_exposure.remediation.writer import render_plan_md
from ecs_exposure.reporters import csv_report, markdown
from ecs_exposure.reporters.terminal import ESCAPED_CATEGORIES, safe
from support.builders import (
    SETTINGS,
    container,
    inventory_of,
    scan_docs,
    service,
    task_definition,
)

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def spreadsheet_rows(text: str) -> list[list[str]]:
    """Rows as a spreadsheet splits them: CR, LF and CRLF end a row outside quotes."""
    return list(csv.reader(io.StringIO(text, newline="")))


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------


def test_a_bare_carriage_return_in_a_name_cannot_start_a_formula_row() -> None:
    name = "web\r=1+1\r\n@SUM(A1)"
    td = task_definition(containers=[container(privileged=True)])
    result = scan_docs({"taskDefinition": td}, {"services": [service(name)]})
    text = csv_report.render(result)
    rows = spreadsheet_rows(text)
    traits = sum(len(f.traits) for f in result.findings + result.task_definition_findings)
    assert len(rows) == 1 + traits                     # the name did not add a row
    assert all(len(row) == len(csv_report.COLUMNS) for row in rows)
    assert "\r" not in text
    names = {row[csv_report.COLUMNS.index("name")] for row in rows[1:]}
    assert names == {"web\n=1+1\n@SUM(A1)"}           # one cell, starting with text
    for row in rows:
        for value in row:
            assert not value.lstrip().startswith(FORMULA_STARTS), value


@pytest.mark.parametrize("value", [" =1+1", "\u3000=1", "\uff1dSUM(A1)", "\n=1", "\r\n+1"])
def test_formulas_behind_whitespace_or_in_full_width_are_neutralised(value: str) -> None:
    assert str(csv_report.cell(value)).startswith("'")


@pytest.mark.parametrize("value", ["\u202e=1+1", "\u200b@SUM(A1)", "\ufeff+1", "\x00-1",
                                   "\u200e \u061c=1", "\x1b[31mred"])
def test_a_control_or_format_character_cannot_hide_a_formula(value: str) -> None:
    # found by the writer sweep (tests/integration/test_writer_mutations.py)
    assert str(csv_report.cell(value)).startswith("'")


@given(st.text())
def test_any_text_is_one_inert_cell(value: str) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([csv_report.cell(value), "end"])
    [row] = spreadsheet_rows(buffer.getvalue())
    first, end = row
    assert end == "end"
    normalised = value.replace("\r\n", "\n").replace("\r", "\n")
    assert first in (normalised, "'" + normalised)
    assert not first.startswith(FORMULA_STARTS) and not first.lstrip().startswith(FORMULA_STARTS)


# --------------------------------------------------------------------------------------------
# PLAN.md
# --------------------------------------------------------------------------------------------

LIVE_MARKDOWN = re.compile(r"(?<!\\)\[[^\]]*(?<!\\)\]\(|(?<![\\\w])@\w|<(?!/?details)\w")
"""A link or image (``[x](…)``, ``![x](…)``), a mention, or an HTML tag that is not escaped."""


def test_plan_md_shares_the_markdown_reports_escaping() -> None:
    hostile = "[click](http://evil.example) ![i](http://evil.example/i.png) @admins <b>x</b>"
    td = task_definition(family="app", containers=[container(
        name=hostile, privileged=True)])
    svc = service(hostile, clusterArn="arn:aws:ecs:us-east-1:111122223333:cluster/prod")
    inventory = inventory_of({"taskDefinition": td}, {"services": [svc]})
    result = scan_inventory(inventory, SETTINGS)
    [plan] = [plan_for(inventory, f, FixOptions()) for f in result.findings]
    text = render_plan_md(plan)
    prose = re.sub(r"```.*?```", "", text, flags=re.S)     # code blocks are not rendered
    assert hostile in plan.service and "remove privileged from container" in prose
    assert not LIVE_MARKDOWN.search(prose), LIVE_MARKDOWN.search(prose)
    assert markdown.md(hostile) in prose                    # the same function as report.md
    assert f"# Fix plan: prod/{markdown.md(hostile)}\n" in text


def test_a_mention_in_a_finding_title_stays_inert_in_report_md() -> None:
    # The title goes into raw HTML (<summary>), where a backslash does not escape: found by
    # the writer sweep (tests/integration/test_writer_mutations.py).
    td = task_definition(containers=[container(privileged=True)])
    text = markdown.render(scan_docs({"taskDefinition": td}, {"services": [service("@admins")]}))
    [summary] = [line for line in text.splitlines() if line.startswith("<summary>")]
    assert "admins" in summary and not re.search(r"(?<!\w)@\w", summary), summary


def test_plan_md_code_fences_cannot_be_closed_from_inside() -> None:
    family = "app\n```\n## Needs a human"                 # the diff's header names it
    td = task_definition(family=family, containers=[container(
        name="x\n```\n[click](http://evil.example)", privileged=True)])
    inventory = inventory_of({"taskDefinition": td}, {"services": [service(family=family)]})
    result = scan_inventory(inventory, SETTINGS)
    [plan] = [plan_for(inventory, f, FixOptions()) for f in result.findings]
    text = render_plan_md(plan)
    diff = text.split("## Task definition diff", 1)[1]
    opening = re.search(r"^(`{3,})diff$", diff, flags=re.M)
    assert opening is not None
    closing = [m.start() for m in re.finditer(rf"^{opening.group(1)}$", diff, flags=re.M)]
    assert len(closing) == 1 and "\n--- app\n```\n## Needs a human:1\n" in diff[:closing[0]]


# --------------------------------------------------------------------------------------------
# Terminal
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("char", ["\u200e", "\u200f", "\u061c", "\u202e", "\u2066", "\u200b",
                                  "\ufeff", "\u00ad", "\x1b", "\x85", "\u2028", "\U000e0041"])
def test_bidi_format_and_control_characters_are_shown_as_escapes(char: str) -> None:
    assert safe(f"a{char}b") == f"a\\x{ord(char):02x}b"


def test_tab_newline_and_visible_text_are_kept() -> None:
    text = "prod/storefront-web\tüñí × → 日本\n"
    assert safe(text) == text


def test_every_format_and_control_character_of_this_python_is_escaped() -> None:
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        if unicodedata.category(char) in ESCAPED_CATEGORIES and char not in "\t\n":
            assert safe(char) == f"\\x{code:02x}", hex(code)


@given(st.text())
def test_no_escaped_category_survives(text: str) -> None:
    assert not any(unicodedata.category(c) in ESCAPED_CATEGORIES and c not in "\t\n"
                   for c in safe(text))
