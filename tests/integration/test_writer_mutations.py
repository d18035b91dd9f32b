"""Mutation sweep over every writer: hostile names reach every output format and the ``fix``
plan, and none of them crashes, hangs, lets the name act, or prints a planted secret.

Each example is a small estate (a public service running a privileged container with
plaintext credentials, behind an open security group) whose names — service, cluster,
container, image, family, environment variable name — Hypothesis builds from the pieces an
attacker would try: spreadsheet formulas, Markdown links, images and mentions, HTML that would
run, shell substitutions, control and direction characters, quotes, backslashes. The estate is
scanned and written in every format of ``reporters.FORMATS`` and by the ``fix`` writer
(PLAN.md, the JSON files, plan.json).

What must hold, in every output, for every example:

* no exception and no hang (:func:`support.timing.deadline`);
* no planted secret value, in any encoding a format uses;
* CSV: every row has the header's columns and no cell starts a formula or with a control
  character, as a spreadsheet reads it;
* Markdown (report.md, PLAN.md) parsed as CommonMark: no link but ``https://`` ones to
  references, no image, no HTML tag but the writers' own (``details``, ``summary``, ``sub``), no
  unescaped ``@mention`` outside code;
* HTML: no script the input wrote, no event handler attribute, no ``javascript:`` URL;
* table: no control, format or direction character but tab and newline;
* JSON formats parse; every shell line of PLAN.md keeps ``$(``, backticks and ``${`` inside
  single quotes.

The examples are the same on every run (``derandomize``); ``ECS_EXPOSURE_SWEEP_EXAMPLES``
raises their number for a longer exploration.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import unicodedata
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from ecs_exposure.pipeline import scan_for_reports
from ecs_exposure.remediation.fixers import FixOptions
from ecs_exposure.remediation.plan import plan_for
from ecs_exposure.remediation.writer import write_plans
from ecs_exposure.reporters import FORMATS, csv_report
from ecs_exposure.reporters.base import ReportOptions
from ecs_exposure.reporters.terminal import ESCAPED_CATEGORIES
from support.builders import (
    ACCOUNT,
    REGION,
    SETTINGS,
    container,
    inventory_of,
    network,
    security_group,
    service,
    task_definition,
    tcp,
)
from support.timing import deadline
from unit.reporters.test_output_injection import FORMULA_STARTS

EXAMPLES = int(os.environ.get("ECS_EXPOSURE_SWEEP_EXAMPLES", "30"))
"""Estates per run; each is written by all eight formats and the fix writer (9 writers)."""
TIME_LIMIT = 20.0
"""Seconds one example (scan + every writer) may take; a normal one takes well under one."""

SECRET = "Planted-Db-Pass-7Qz9xKw"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiPLANTEDKEY"
STRIPE = "sk_live_PLANTED0123456789abcdXYZ"
"""Values of the planted credentials (a password and an AWS secret key known by their names, a
Stripe key by its value under the hostile name): no output may hold them, in any escaping."""

PIECES = st.sampled_from([
    "=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=x", "\r=1+1", "\n@x", "\uff1d1",
    "[click](http://evil.example)", "![i](http://evil.example/i.png)", "<http://evil.example>",
    "@admins", "<b>x</b>", "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>", "javascript:alert(1)", "' onmouseover='alert(1)",
    "$(touch${IFS}PWNED)", "`id`", "${HOME}", "'", '"', "\\", "|", "```", "\n## h\n", "{{7*7}}",
    "\u202e", "\u200e", "\u061c", "\x1b[31m", "\x00", "\x7f", "\u2028", "\ufeff", "web", "a/b",
])
NAMES = st.lists(PIECES, min_size=1, max_size=4).map("".join)


def estate(names: dict[str, str]) -> Any:
    """The estate with the hostile ``names``, as an Inventory."""
    family, cluster = names["family"], names["cluster"]
    td = task_definition(family=family, containers=[container(
        name=names["container"], image=f"nginx:{names['image']}", privileged=True, user=None,
        environment=[{"name": names["env"], "value": STRIPE},
                     {"name": "DB_PASSWORD", "value": SECRET},
                     {"name": "AWS_SECRET_ACCESS_KEY", "value": AWS_SECRET}])])
    svc = service(names["service"], family=family, public_ip=True,
                  clusterArn=f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{cluster}")
    return inventory_of({"taskDefinition": td}, {"services": [svc]},
                        {"SecurityGroups": [security_group("sg-1", tcp(80))]}, *network())


def write_everything(inventory: Any, out: Path) -> dict[str, bytes]:
    """Every format and the fix plan's files, by name."""
    result, context = scan_for_reports(inventory, SETTINGS)
    outputs: dict[str, bytes] = {}
    with context:
        for name, reporter in FORMATS.items():
            stream: Any = io.BytesIO() if reporter.binary else io.StringIO()
            reporter.write(result, stream, ReportOptions(context=context))
            value = stream.getvalue()
            outputs[name] = value if isinstance(value, bytes) else value.encode()
    plans = [plan_for(inventory, f, FixOptions())
             for f in result.findings + result.task_definition_findings]
    write_plans(out, plans)
    for path in sorted(out.rglob("*")):
        if path.is_file():
            outputs[f"fix:{path.relative_to(out).as_posix()}"] = path.read_bytes()
    assert any(k.endswith("PLAN.md") for k in outputs), "the fix writer wrote no plan"
    return outputs


# ---- what each medium must not do ------------------------------------------------------------

def check_no_secret(name: str, data: bytes) -> None:
    text = data.decode("utf-8", "replace")
    for secret in (SECRET, AWS_SECRET, STRIPE):
        for form in (secret, json.dumps(secret)[1:-1], secret.replace("/", "&#x2F;")):
            assert form not in text, f"{name} holds a planted secret"


def check_csv(data: bytes) -> None:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == list(csv_report.COLUMNS)
    for row in rows:
        assert len(row) == len(csv_report.COLUMNS), row
        for cell in row:
            shown = "".join(c for c in cell if unicodedata.category(c) not in ("Cc", "Cf"))
            assert not shown.lstrip().startswith(FORMULA_STARTS), cell
            assert not cell.lstrip().startswith(FORMULA_STARTS), cell
            assert not (cell and unicodedata.category(cell[0]) in ("Cc", "Cf")), cell


_MD = MarkdownIt("commonmark").disable("text_join")
"""CommonMark, with each backslash escape kept as its own token (``text_special``), so that text
the writer escaped is told from text it did not."""
MARKDOWN_TAGS = {"details", "summary", "sub"}
"""The only HTML the Markdown writers emit themselves (collapsible findings, the footer)."""
_MENTION = re.compile(r"(?<!\w)@[A-Za-z0-9]")


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.names.add(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.names.add(tag)


def _tokens(tokens: list[Any]) -> list[Any]:
    flat = []
    for token in tokens:
        flat.append(token)
        flat += _tokens(token.children or [])
    return flat


def check_markdown(name: str, data: bytes) -> None:
    for token in _tokens(_MD.parse(data.decode())):
        if token.type == "link_open":
            href = str(token.attrGet("href") or "")
            assert href.startswith("https://") and "evil" not in href, (name, href)
        assert token.type != "image", (name, token.content)
        if token.type in ("html_inline", "html_block"):
            tags = _Tags()
            tags.feed(token.content)
            assert tags.names <= MARKDOWN_TAGS, (name, token.content)
        if token.type in ("text", "html_inline", "html_block"):
            # an unescaped @name in prose or raw HTML notifies that user or team on GitHub
            # (code spans and blocks are other token types: never rendered as mentions)
            assert not _MENTION.search(token.content), (name, token.content)


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_script = tag == "script"
        for attr, value in attrs:
            if attr.startswith("on") and "alert" in (value or ""):
                self.problems.append(f"<{tag} {attr}={value!r}>")
            if attr in ("href", "src", "action", "formaction") and \
                    (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {attr}={value!r}>")
        if tag == "img" and ("src", "x") in attrs:
            self.problems.append("<img> from the input")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and "alert(" in data:
            self.problems.append("a script holds the input's alert(")


def check_html(data: bytes) -> None:
    parser = _Html()
    parser.feed(data.decode())
    parser.close()
    assert not parser.problems, parser.problems


def check_table(data: bytes) -> None:
    text = data.decode()
    bad = [c for c in text if unicodedata.category(c) in ESCAPED_CATEGORIES and c not in "\t\n"]
    assert not bad, [hex(ord(c)) for c in bad]


def check_shell_lines(name: str, data: bytes) -> None:
    """Every line of a ``sh`` block keeps shell expansions inside single quotes."""
    blocks = [t.content for t in _MD.parse(data.decode()) if t.type == "fence" and t.info == "sh"]
    assert blocks, f"{name} has no commands"
    for block in blocks:
        for line in block.splitlines():
            outside = re.sub(r"'[^']*'", "''", line)
            for danger in ("$(", "`", "${"):
                assert danger not in outside, (name, line)


def check(outputs: dict[str, bytes]) -> None:
    for name, data in outputs.items():
        check_no_secret(name, data)
        if name in ("json", "sarif", "ocsf", "asff") or name.endswith(".json"):
            json.loads(data)
    check_csv(outputs["csv"])
    check_markdown("markdown", outputs["markdown"])
    check_html(outputs["html"])
    check_table(outputs["table"])
    for name, data in outputs.items():
        if name.endswith("PLAN.md"):
            check_markdown(name, data)
            check_shell_lines(name, data)


FIELDS = ("service", "cluster", "container", "image", "family", "env")


def test_the_benign_estate_passes_every_check(tmp_path: Path) -> None:
    """The checks themselves: a plain estate writes every output and passes them."""
    outputs = write_everything(estate(dict.fromkeys(FIELDS, "web")), tmp_path / "fix")
    assert set(FORMATS) < set(outputs)
    check(outputs)


@settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
          phases=(Phase.explicit, Phase.generate),   # a shrink can take minutes: none in CI
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(names=st.fixed_dictionaries({f: NAMES for f in FIELDS}))
def test_hostile_names_never_crash_act_or_leak_in_any_writer(
        tmp_path_factory: Any, names: dict[str, str]) -> None:
    out = tmp_path_factory.mktemp("fix")
    with deadline(TIME_LIMIT):
        outputs = write_everything(estate(names), out)
    check(outputs)
