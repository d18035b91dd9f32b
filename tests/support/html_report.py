"""The HTML report's table data read back from a page, with every field named and every string
resolved: what the page's script renders, for tests that check the page lists something."""

from __future__ import annotations

import re
from typing import Any

from ecs_exposure.reporters.html_data import ENTRY, FINDING, INSTANCE, TRAIT, decode

_BLOCK = re.compile(r'<script type="application/gzip" (?:id|class)="report-(data|text)" '
                    r'data-encoding="base64">([A-Za-z0-9+/=]*)</script>')
_LISTS = {"instances", "missing", "task_definitions", "names", "links"}
_NUMBERS = {"line", "column", "card", "contextual", "in_finding", "trait", "instances"}


def data_block(page: str) -> dict[str, Any]:
    """The decoded data of a page: its blocks (base64 text only), the tables' one and the prose
    pieces joined as ``t``."""
    found = _BLOCK.findall(page)
    assert [kind for kind, _ in found[:1]] == ["data"]
    assert all(kind == "text" for kind, _ in found[1:]) and len(found) > 1
    data: dict[str, Any] = decode(found[0][1])
    data["t"] = [text for _, block in found[1:] for text in decode(block)]
    return data


class _Strings:
    """Position → string: ``s[k]``, or the prose ``t[-k]`` for a negative one."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.s, self.t = data["s"], data["t"]

    def __getitem__(self, k: int) -> str:
        return str(self.s[k] if k >= 0 else self.t[-k])


def _named(fields: tuple[str, ...], row: list[Any], strings: _Strings) -> dict[str, Any]:
    named: dict[str, Any] = {}
    for name, value in zip(fields, row, strict=True):
        if name in _NUMBERS:
            named[name] = value
        elif name in _LISTS:
            named[name] = [strings[v] for v in value]
        else:
            named[name] = strings[value]
    return named


def tables(page: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``(findings, posture rows)``: each finding with its traits (instances with the trait's
    catalog fields under ``spec``), and one posture row per weakness of each entry."""
    data = data_block(page)
    strings = _Strings(data)
    catalog = [_named(TRAIT, t, strings) for t in data["traits"]]
    instances = [_named(INSTANCE, i, strings) | {"spec": catalog[i[0]]} for i in data["i"]]
    findings = []
    for row in data["f"]:
        finding = _named(FINDING, row, strings)
        finding["traits"] = [instances[i] for i in finding.pop("instances")]
        findings.append(finding)
    posture = []
    for row in data["p"]:
        entry = _named(ENTRY, row, strings)
        for position in entry.pop("instances"):
            posture.append({"entry": entry, **instances[position]})
    return findings, posture
