"""HTML: one self-contained report for people — summary, filters, the most severe findings in
full, and sortable, filterable tables of every finding and every posture weakness.

The file loads nothing from anywhere: styles and script are inline, the attack-path diagrams
are inline SVG, there are no fonts, images or CDNs, and a strict Content-Security-Policy
(``default-src 'none'``, the one script and one style allowed by their SHA-256 hashes) makes
sure nothing else can run or load even if something slipped into the page. That matters
because every name in it comes from AWS or from files anyone can write: all values are
escaped by Jinja2's autoescaping (never marked safe), so a service named
``<img src=x onerror=alert(1)>`` is shown as that text.

The first :data:`FULL_CARDS` findings (most severe first) are cards with their attack-path
diagram, traits, why and fix. Below them, a table lists every finding, and the posture table
every weakness of every resource; their rows are rendered by the inline script, a page at a
time, from one data block (:mod:`ecs_exposure.reporters.html_data`: every value once,
compressed), so a 10,000-service estate gives a page of a few megabytes that opens in a
second instead of a card per finding (90 MB at 4,800 services). A row opens to the finding's
traits, why and fix. Filtering (severity, trait, cluster, free-text search) applies to the
cards and the findings table alike, the posture table has its own filters (severity, resource
kind, weakness, whether a finding includes it, search), and both tables sort by a column's
header; printing hides the controls and opens every folded section. Each ``--compliance``
report is a table of controls with their status, failing resources and evidence. Suppressed
findings and traits are marked with their reasons (search "suppressed" to list them), findings
carry their baseline state, and what the baseline had that is now resolved, and suppressions
to review, are listed at the end.
"""

from __future__ import annotations

import base64
import hashlib
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import IO, Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from ecs_exposure import __version__
from ecs_exposure.detectors.registry import SPECS
from ecs_exposure.exposure.compliance import ComplianceReport
from ecs_exposure.model import ScanResult, Trait
from ecs_exposure.reporters import status
from ecs_exposure.reporters.base import ReportOptions
from ecs_exposure.reporters.common import SEVERITY_ORDER, all_findings, kind, urls
from ecs_exposure.reporters.compliance_view import locator, row
from ecs_exposure.reporters.context import ReportContext
from ecs_exposure.reporters.html_data import blocks, ranked, table_data, trait_ids
from ecs_exposure.reporters.json_report import (
    EVERY_FIELD,
    POSTURE_IN_FULL,
    guidance_dict,
    result_dict,
)
from ecs_exposure.reporters.posture_view import KINDS as RESOURCE_KINDS
from ecs_exposure.reporters.terminal import safe

FULL_CARDS = 50
"""Findings shown in full (card, diagram, every trait) above the table of all of them: enough
for the worst of an estate, few enough that the page stays small at any size."""
ASSETS = ("report.css", ("report_table.js", "report.js"))
"""The page's one stylesheet and its one script (files joined), hashed into the CSP."""
NO_CLUSTER = "(no service)"
"""Cluster filter value of task definitions that no service runs."""

# Attack-path diagram geometry (SVG user units; the SVG scales to its column).
WIDTH, NODE_X, NODE_W = 320, 10, 300
LINE_H, PAD_TOP, PAD_BOTTOM, GAP = 16, 26, 10, 26
WRAP, MAX_LINES = 40, 4

KINDS = (
    ("network", "network", ("internet-facing", "internal ", "security group", "public ip",
                            "target group", "load balancer", "private ")),
    ("internet", "internet", ("internet",)),
    ("actor", "who", ("anyone ", "an attacker")),
    ("service", "service", ("service ", "task definition ")),
    ("container", "container", ("container ",)),
    ("host", "host", ("host",)),
    ("iam", "IAM", ("iam role", "role ")),
    ("credential", "credentials", ("aws access keys",)),
    ("account", "account", ("aws account", "the aws account")),
)
"""``(css kind, label, prefixes)``: what an attack-path step is, read from how it starts (the
first match wins, so ``internet-facing …`` is network, not the internet itself)."""


@dataclass(frozen=True)
class Node:
    """One box of an attack-path diagram."""

    kind: str
    label: str
    lines: tuple[str, ...]
    y: int
    height: int

    @property
    def text_y(self) -> int:
        return self.y + PAD_TOP + 12


@dataclass(frozen=True)
class Diagram:
    """An attack path laid out top to bottom."""

    nodes: tuple[Node, ...]
    height: int
    title: str

    @property
    def arrows(self) -> list[tuple[int, int]]:
        """``(from y, to y)`` of each arrow between consecutive boxes."""
        return [(a.y + a.height, b.y) for a, b in zip(self.nodes, self.nodes[1:], strict=False)]


def step_kind(step: str) -> tuple[str, str]:
    """``(css kind, label)`` of an attack-path step."""
    lowered = step.lower()
    for css_kind, label, prefixes in KINDS:
        if lowered.startswith(prefixes):
            return css_kind, label
    return "other", "step"


def diagram(steps: list[str]) -> Diagram:
    """Lay out ``steps`` as boxes joined by arrows; long labels wrap, very long ones are cut."""
    nodes: list[Node] = []
    y = 4
    for step in steps:
        css_kind, label = step_kind(step)
        lines = textwrap.wrap(step, WRAP, break_long_words=True) or [""]
        if len(lines) > MAX_LINES:
            lines = lines[:MAX_LINES]
            lines[-1] = lines[-1][: WRAP - 1] + "…"
        height = PAD_TOP + LINE_H * len(lines) + PAD_BOTTOM
        nodes.append(Node(css_kind, label, tuple(lines), y, height))
        y += height + GAP
    return Diagram(tuple(nodes), max(y - GAP + 4, 8), "Attack path: " + " → ".join(steps))


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def _inert(value: object) -> object:
    """Every printed value: control and bidi-override characters shown as escapes (a name
    cannot reorder the text around it), then autoescaped by Jinja2."""
    return safe(value) if isinstance(value, str) and not isinstance(value, Markup) else value


@cache
def _environment() -> Environment:
    return Environment(loader=PackageLoader("ecs_exposure.reporters", "templates"),
                       autoescape=select_autoescape(default=True, default_for_string=True),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                       finalize=_inert)


@cache
def _assets() -> tuple[str, str]:
    folder = files("ecs_exposure.reporters") / "templates"
    style, scripts = ASSETS
    return ((folder / style).read_text(encoding="utf-8"),
            "\n".join((folder / name).read_text(encoding="utf-8") for name in scripts))


def content_security_policy(style: str, script: str) -> str:
    """Nothing loads, only the page's own style and script run."""
    return ("default-src 'none'; "
            f"style-src '{_sha256(style)}'; script-src '{_sha256(script)}'; "
            "img-src 'none'; font-src 'none'; connect-src 'none'; object-src 'none'; "
            "base-uri 'none'; form-action 'none'")


def _card(finding: dict[str, Any]) -> dict[str, Any]:
    resource = finding["resource"]
    traits = []
    for trait in finding["traits"]:
        rule = trait.get("suppressed_by")
        traits.append(trait | {"note": status.rule_note(rule) if rule else ""})
    baseline = finding.get("baseline") or {}
    return {
        "f": finding,
        "reasons": status.finding_reasons(finding),
        "state": baseline.get("state", ""),
        "previous": (f"was {baseline['previous_severity']}" if baseline.get("previous_severity")
                     else "not in the baseline" if baseline else ""),
        "kind": kind(finding),
        "cluster": resource["cluster"] or NO_CLUSTER,
        "trait_ids": " ".join(dict.fromkeys(t["id"] for t in finding["traits"])),
        "traits": [t for t in traits if not t["contextual"]],
        "context": [t for t in traits if t["contextual"]],
        "diagram": diagram(finding["attack_path"]),
    }


def _guides(trait_ids: list[str]) -> list[dict[str, Any]]:
    """Each trait's "How to fix", once in the page (a ``<template>`` the script copies into a
    card's or a row's folded section when it is opened): 50 cards of 20 traits would otherwise
    repeat the same few dozen texts a thousand times."""
    guides = []
    for trait_id in trait_ids:
        if trait_id not in SPECS:
            continue
        guidance = guidance_dict(trait_id)
        every = guidance["references"]
        guides.append({"id": trait_id, "text": guidance["text"], "links": urls(every),
                       "names": [ref for ref in every if not ref.startswith("https://")]})
    return guides


def _options(findings: list[dict[str, Any]]) -> dict[str, Any]:
    """Filter choices with counts, in a stable order."""
    trait_counts: dict[str, int] = {}
    clusters: dict[str, int] = {}
    for finding in findings:
        for trait_id in dict.fromkeys(t["id"] for t in finding["traits"]):
            trait_counts[trait_id] = trait_counts.get(trait_id, 0) + 1
        cluster = finding["resource"]["cluster"] or NO_CLUSTER
        clusters[cluster] = clusters.get(cluster, 0) + 1
    severities = {name: 0 for name in SEVERITY_ORDER[:-1]}
    for finding in findings:
        severities[finding["severity"]] = severities.get(finding["severity"], 0) + 1
    trait_list = sorted(trait_counts.items(),
                        key=lambda item: (SPECS[item[0]].contextual if item[0] in SPECS else True,
                                          item[0]))
    return {"severities": severities, "traits": trait_list,
            "clusters": sorted(clusters.items(), key=lambda item: (item[0] == NO_CLUSTER,
                                                                    item[0]))}


def _posture(doc: dict[str, Any]) -> dict[str, Any]:
    """The posture table's filter choices with counts (its rows are in the data block)."""
    kinds: dict[str, int] = {}
    traits: dict[str, int] = {}
    rows = 0
    for entry in doc["posture"]:
        name = RESOURCE_KINDS[entry["resource"]["type"]]
        for trait in entry["traits"]:
            rows += 1
            kinds[name] = kinds.get(name, 0) + 1
            traits[trait["id"]] = traits.get(trait["id"], 0) + 1
    return {"rows": rows, "kinds": list(kinds.items()), "traits": sorted(traits.items())}


def _compliance(report: ComplianceReport, locate: Callable[[Trait], str]) -> dict[str, Any]:
    """A framework's rows, counts and uncovered controls, as the template shows them."""
    return {"name": report.framework.name, "title": report.framework.title,
            "url": report.framework.url, "counts": report.counts(),
            "rows": [{"note": result.control.note, **vars(row(result, locate))}
                     for result in report.controls],
            "uncovered": report.uncovered}


def render(result: ScanResult, context: ReportContext | None = None,
           compliance: tuple[ComplianceReport, ...] = (), only: str | None = None) -> str:
    """The whole report as one HTML document (``compliance``: the reports to add; ``only``:
    the part of the result ``--only`` kept, the other one is left out of the page)."""
    doc = result_dict(result, context, include=EVERY_FIELD | {POSTURE_IN_FULL})
    findings = ranked(all_findings(doc))
    data = table_data(findings if only != "posture" else [],
                      doc["posture"] if only != "findings" else None, FULL_CARDS)
    locate = locator((context or ReportContext()).positions)
    style, script = _assets()
    template = _environment().get_template("report.html.j2")
    return template.render(
        doc=doc,
        cards=[_card(f) for f in findings[:FULL_CARDS]],
        data=blocks(data),
        guides=_guides(trait_ids(data)),
        no_cluster=NO_CLUSTER,
        options=_options(findings),
        total=len(findings),
        suppressed=sum(1 for f in findings if f["status"] == "suppressed"),
        baseline_line=status.baseline_line(doc) or "",
        resolved=(doc.get("baseline") or {}).get("resolved", []),
        review=[status.rule_problem(rule) for rule in status.notable_rules(doc)],
        posture=_posture(doc),
        only=only,
        compliance=[_compliance(report, locate) for report in compliance],
        version=__version__,
        csp=content_security_policy(style, script),
        # Our own static files, hashed into the CSP above; no input value is ever marked safe.
        style=Markup(style),
        script=Markup(script),
        geometry={"width": WIDTH, "x": NODE_X, "w": NODE_W, "line": LINE_H},
    )


def write(result: ScanResult, stream: IO[str], options: ReportOptions, /) -> None:
    """The reporter interface (:mod:`ecs_exposure.reporters.base`)."""
    stream.write(render(result, options.context, options.compliance, options.only))
