"""The data of the HTML report's tables: every finding and every posture weakness, embedded
once in the page and rendered on demand by the page's own script (``report_table.js``).

Why data and not rows: at 10,000 services an estate has ~10,000 findings with ~20 traits each
and ~130,000 posture weaknesses; as markup (a card or a table row each) the page ran to 90 MB
at 4,800 services. As data, each value is written once: every string goes into one list
(``s``) and everything else refers to it by position, so an ARN, a file path or an evidence
sentence repeated on a hundred traits is stored once; a trait listed by a finding and by the
posture is one instance. The prose that remains (each finding's why and fix, each trait's
evidence) is still ~20 MB of JSON at 10,000 services, so the data is gzip-compressed and
base64-encoded (:func:`encode`): 4-5 MB, which the browser inflates with its own
``DecompressionStream``. A side effect worth having: a block's text is base64, so nothing in
it can close its ``<script>`` element or be read as markup, whatever the input's names hold.

The tables and the prose are separate blocks (:func:`blocks`): the prose (``t``: each
finding's why, fix and ARN, each trait's evidence sentence, about half the bytes) is read
after the tables are drawn, a piece at a time, so the page answers clicks meanwhile; a string
field holding a negative number ``-k`` means ``t[k]``.

Layout (the field orders are :data:`FINDING`, :data:`INSTANCE`, :data:`ENTRY` and
:data:`TRAIT`, which ``report_table.js`` mirrors; a string field holds a position in ``s``):

* ``traits``: the catalog part of each trait id (title, category, contextual flag);
* ``i``: trait instances (a trait on a resource with its evidence, location, severity listed
  alone, status, suppression note, and whether a finding includes it), shared by the findings
  and the posture entries that hold the same weakness;
* ``f``: findings, most severe first, with the instances of their traits;
* ``p``: posture entries with the instances of their weaknesses.

Every string is made inert as the rest of the page's text is (control and bidi characters
shown as escapes); the script puts them into the page only as text (``textContent``).
"""

from __future__ import annotations

import base64
import gzip
from typing import Any

import orjson

from ecs_exposure.detectors.registry import SPECS
from ecs_exposure.reporters import status
from ecs_exposure.reporters.common import SEVERITY_ORDER, kind
from ecs_exposure.reporters.posture_view import KINDS as RESOURCE_KINDS
from ecs_exposure.reporters.posture_view import dict_key
from ecs_exposure.reporters.terminal import safe

FINDING = ("id", "severity", "status", "state", "previous", "kind", "name", "cluster",
           "account", "region", "arn", "likelihood", "impact", "reachability", "title", "why",
           "fix", "reasons", "instances", "missing", "task_definitions", "card")
"""Fields of a finding row (``instances``, ``missing``, ``task_definitions``: lists;
``card``: 1 when the finding is also shown in full above the table)."""
INSTANCE = ("trait", "resource", "pointer", "container", "detail", "file", "line", "column",
            "severity", "status", "note", "in_finding")
"""Fields of a trait instance (``trait``: position in ``traits``; ``line``, ``column``:
numbers, 0 when unknown; ``in_finding``: 0/1)."""
ENTRY = ("kind", "name", "cluster", "arn", "finding", "instances")
"""Fields of a posture entry (``finding``: the id of the finding it is part of, or "")."""
TRAIT = ("id", "title", "category", "contextual")
"""Fields of a trait of the catalog part (its guidance is in the page once, as a template)."""


class _Strings:
    """Interns strings: each distinct (inert) text gets the next position, "" is 0."""

    def __init__(self) -> None:
        self.position: dict[str, int] = {"": 0}
        self.seen: dict[object, int] = {None: 0, "": 0}

    def __call__(self, value: object) -> int:
        found = self.seen.get(value)
        if found is None:
            text = safe(value)
            found = self.position.setdefault(text, len(self.position))
            self.seen[value] = found
        return found


def _sort_key(finding: dict[str, Any]) -> int:
    return SEVERITY_ORDER.index(finding["severity"])


def ranked(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Most severe first; within a severity, the result's own order (services, then task
    definitions no service runs)."""
    return sorted(findings, key=_sort_key)


class _Builder:
    def __init__(self) -> None:
        self.strings = _Strings()
        self.prose = _Strings()
        self.traits: dict[str, int] = {}
        self.instances: dict[tuple[Any, ...], int] = {}
        self.rows: list[list[Any]] = []
        self.in_findings: set[tuple[Any, ...]] = set()
        self.severities: dict[tuple[Any, ...], str] = {}
        """Each weakness's severity listed alone, as the posture gives it."""

    def s(self, value: object) -> int:
        """The position of a string (``None`` is "")."""
        return self.strings(value)

    def t(self, value: object) -> int:
        """A string of the prose part (``t``): minus its position there (which starts at 1),
        so that one number says which list to read; "" stays 0."""
        position = self.prose(value)
        return -position if position else 0

    def trait(self, trait_id: str) -> int:
        if trait_id not in self.traits:
            self.traits[trait_id] = len(self.traits)
        return self.traits[trait_id]

    def instance(self, trait: dict[str, Any], weakness: tuple[Any, ...], severity: str) -> int:
        """The position of a trait instance (``weakness``: its :func:`dict_key`), added the
        first time it is seen."""
        evidence = trait["evidence"]
        location = evidence.get("location") or {}
        rule = trait.get("suppressed_by")
        note = status.rule_note(rule) if rule else ""
        file = location.get("file") or evidence.get("file")
        key = (weakness, file, location.get("line"), location.get("column"), severity,
               trait.get("status", "open"), note)
        found = self.instances.get(key)
        if found is None:
            found = self.instances[key] = len(self.rows)
            s = self.strings
            self.rows.append([
                self.trait(trait["id"]), s(trait["resource"]), s(evidence["pointer"]),
                s(trait["container"]), self.t(evidence["detail"]), s(file),
                int(location.get("line") or 0), int(location.get("column") or 0),
                s(severity), s(key[-2]), s(note), int(weakness in self.in_findings)])
        return found

    def finding(self, finding: dict[str, Any], keys: list[tuple[Any, ...]],
                card: bool) -> list[Any]:
        resource = finding["resource"]
        baseline = finding.get("baseline") or {}
        previous = (f"was {baseline['previous_severity']}" if baseline.get("previous_severity")
                    else "not in the baseline" if baseline else "")
        s = self.s
        return [
            s(finding["id"]), s(finding["severity"]), s(finding["status"]),
            s(baseline.get("state", "")), s(previous), s(kind(finding)), s(resource["name"]),
            s(resource["cluster"]), s(resource.get("account")), s(resource.get("region")),
            self.t(resource.get("arn")), s(finding["likelihood"]), s(finding["impact"]),
            s(finding["reachability"]), s(finding["title"]), self.t(finding["why"]),
            self.t(finding["remediation"]["summary"]), s(status.finding_reasons(finding)),
            [self.instance(t, k, self.severities.get(k, ""))
             for t, k in zip(finding["traits"], keys, strict=True)],
            [s(m) for m in finding.get("missing") or ()],
            [s(td) for td in finding.get("task_definitions") or ()],
            int(card)]

    def entry(self, entry: dict[str, Any]) -> list[Any]:
        resource = entry["resource"]
        return [self.s(RESOURCE_KINDS[resource["type"]]), self.s(resource["name"]),
                self.s(resource["cluster"]), self.t(resource["arn"]), self.s(entry["finding"]),
                [self.instance(t, dict_key(t), t["severity"]) for t in entry["traits"]]]

    def catalog(self) -> list[list[Any]]:
        rows = []
        for trait_id in self.traits:
            spec = SPECS.get(trait_id)
            rows.append([self.s(trait_id), self.s(spec.title if spec else trait_id),
                         self.s(spec.category if spec else ""),
                         int(spec.contextual) if spec else 0])
        return rows


def table_data(findings: list[dict[str, Any]], posture: list[dict[str, Any]] | None,
               cards: int) -> dict[str, Any]:
    """The tables' data: ``findings`` already :func:`ranked` (the first ``cards`` are shown
    in full above the table); ``posture``: the entries, or ``None`` when the page leaves the
    posture out (``--only findings``)."""
    build = _Builder()
    keys = [[dict_key(t) for t in f["traits"]] for f in findings]
    build.in_findings = {k for each in keys for k in each}
    build.severities = {dict_key(t): t["severity"] for e in posture or () for t in e["traits"]}
    rows = [build.finding(f, k, index < cards)
            for index, (f, k) in enumerate(zip(findings, keys, strict=True))]
    entries = [build.entry(e) for e in posture] if posture is not None else []
    catalog = build.catalog()
    return {"s": list(build.strings.position), "traits": catalog, "i": build.rows,
            "f": rows, "p": entries, "posture": posture is not None,
            "t": list(build.prose.position)}


def trait_ids(data: dict[str, Any]) -> list[str]:
    """The trait ids the data holds, in its catalog's order."""
    return [data["s"][row[0]] for row in data["traits"]]


def encode(data: object) -> str:
    """A data block's text: compact JSON, gzip-compressed (no timestamp, so the same result
    gives the same page), base64-encoded."""
    return base64.b64encode(gzip.compress(orjson.dumps(data), compresslevel=6, mtime=0)).decode()


PROSE_CHUNK = 500_000
"""Characters of prose a block holds at most (one string may exceed it): the page reads the
prose a block at a time, so that parsing it never holds the page up for long."""


def blocks(data: dict[str, Any]) -> tuple[str, list[str]]:
    """The page's data blocks: the tables (everything but ``t``), then the prose in pieces of
    about :data:`PROSE_CHUNK` characters (``t`` is their concatenation)."""
    chunks: list[list[str]] = [[]]
    size = 0
    for text in data["t"]:
        if size > PROSE_CHUNK:
            chunks.append([])
            size = 0
        chunks[-1].append(text)
        size += len(text)
    return encode({k: v for k, v in data.items() if k != "t"}), [encode(c) for c in chunks]


def decode(block: str) -> Any:
    """:func:`encode` reversed (for tests and tools that read a report's data)."""
    return orjson.loads(gzip.decompress(base64.b64decode(block)))


__all__ = ["ENTRY", "FINDING", "INSTANCE", "TRAIT", "blocks", "decode", "encode", "ranked",
           "table_data", "trait_ids"]
