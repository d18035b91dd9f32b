"""SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

One rule per trait of the catalog, identical in every run (:mod:`.sarif_rules`: the rule's
``security-severity`` is the trait's own weight, never the worst finding of the run).

One result per trait *location*: a trait read from an input file points at the line and
column of the offending field (its JSON pointer resolved in the file), and every finding and
posture entry that lists the same trait at the same rule/file/line shares that one result (a
security group that fronts 40 services is one alert, not 40). A trait on a live resource,
which has no file, is located logically by the resource's ARN and its pointer. Every
weakness of the posture that no finding lists is a result too, marked ``posture``.

- ``level`` follows the location's severity (contextual traits are ``note``: they never make
  an exposure on their own): the worst of the findings it is part of and of its traits' own
  (posture) severity, which is what ``--min-severity`` filters on
  (:mod:`ecs_exposure.reporters.selection`). A trait Security Hub rates High on its own
  (say a public IP) is a HIGH result even when the exposure it is part of is only LOW, so
  narrowing the report never turns a kept result into a more severe one;
- ``partialFingerprints.primaryLocationLineHash`` (the only key GitHub reads) is a hash of the
  rule, the file relative to the source root (or the resource) and the JSON pointer, so an
  alert survives lines moving and repeated runs;
- artifact URIs are relative to the source root (``--source-root``, default the current
  directory) under the ``%SRCROOT%`` base, whose absolute URI is in ``originalUriBaseIds``;
  a file outside the root keeps its absolute ``file://`` URI;
- a config-file suppression is a SARIF ``suppressions[]`` entry (``external``, ``accepted``,
  with the reason as justification) when every finding at the location is suppressed (when
  only some are, the result stays open and names them in ``suppressed-findings``); with
  ``--baseline`` a result's ``baselineState`` is ``new`` / ``updated`` (worse or better) /
  ``unchanged`` (posture-only results are not compared with a baseline, so have none);
- GitHub accepts at most 25,000 results per run and shows the top 5,000 by severity: results
  are ordered open before suppressed (an open alert left out would read as fixed; an accepted
  one costs nothing), most severe first by that same severity, and anything past
  :data:`MAX_RESULTS` is left out with a ``toolExecutionNotifications`` warning (and a line on
  standard error) telling the user to narrow the report with ``--min-severity`` / ``--only``.
  As the order and the selection measure severity alike, every open result of the
  ``--min-severity`` the warning recommends is among those the capped report kept.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

import orjson

from ecs_exposure import __version__
from ecs_exposure.analysis.arn import last_segment
from ecs_exposure.detectors.registry import catalog
from ecs_exposure.model import ScanResult
from ecs_exposure.reporters import status
from ecs_exposure.reporters.base import ReportOptions
from ecs_exposure.reporters.common import SEVERITY_ORDER, all_findings, kind, truncate
from ecs_exposure.reporters.context import ReportContext
from ecs_exposure.reporters.json_report import EVERY_FIELD, POSTURE_IN_FULL, result_dict
from ecs_exposure.reporters.posture_view import KINDS, beyond_finding_dicts, dict_key
from ecs_exposure.reporters.sarif_rules import LEVELS, catalog_rules

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
MAX_RESULTS = 25_000
"""GitHub code scanning rejects a run with more results."""
LISTED_MAX = 20
"""Finding ids and logical locations listed on one result, at most (the count is given)."""
MESSAGE_MAX = 2000
BASELINE_STATES = {"new": "new", "unchanged": "unchanged", "worse": "updated",
                   "better": "updated"}
"""Our baseline states as SARIF's ``baselineState`` (a severity change is an update)."""


def artifact_location(file: str, root: Path) -> dict[str, Any]:
    """A file under ``root`` relative to ``%SRCROOT%`` (what GitHub expects), else a file URI."""
    path = Path(file).resolve()
    try:
        relative = path.relative_to(root)
    except ValueError:
        return {"uri": path.as_uri()}
    return {"uri": quote(relative.as_posix()), "uriBaseId": SRCROOT}


Rank = tuple[bool, int]
"""``(suppressed, index in SEVERITY_ORDER)``: the smaller, the earlier a result comes."""


def _rank(rule: dict[str, Any] | None, severity: str) -> Rank:
    return rule is not None, SEVERITY_ORDER.index(severity)


@dataclass
class _Part:
    """One finding's (or posture entry's) trait at a location."""

    trait: dict[str, Any]
    severity: str
    finding: dict[str, Any] | None = None
    entry: dict[str, Any] | None = None
    rule: dict[str, Any] | None = None
    """The suppression covering it, if any."""

    @property
    def rank(self) -> Rank:
        return _rank(self.rule, self.severity)


@dataclass
class _Slot:
    """Everything shown at one rule/location: one result."""

    physical: dict[str, Any] | None
    fingerprint: str
    parts: list[_Part] = field(default_factory=list)
    alone: list[Rank] = field(default_factory=list)
    """The rank of every posture trait here, also those a finding lists (and so shown as the
    finding's part): ``--min-severity`` keeps the location for them too."""

    def ranked(self) -> list[_Part]:
        """Open parts before suppressed ones, most severe first."""
        return sorted(self.parts, key=lambda p: p.rank)

    @property
    def rank(self) -> Rank:
        """Where the result comes: open before suppressed, then the worst severity that
        ``--min-severity`` sees here (a finding's, or a trait's own)."""
        return min([p.rank for p in self.parts] + self.alone)

    def posture_severity(self) -> str | None:
        """The traits' own severity when it is worse than any finding's here."""
        rank = min(self.alone, default=None)
        return SEVERITY_ORDER[rank[1]] if rank is not None and rank < min(
            (p.rank for p in self.parts if p.finding is not None), default=rank) else None


def _place(trait: dict[str, Any], root: Path) -> tuple[tuple[Any, ...], dict[str, Any] | None,
                                                       str]:
    """``(key, physicalLocation, fingerprint)`` of a trait: the key merges instances at the
    same rule/file/line (or, without a file, the same resource, pointer and container)."""
    evidence = trait["evidence"]
    pointer = evidence.get("file_pointer") or evidence["pointer"]
    if not evidence.get("file"):
        key: tuple[Any, ...] = (trait["id"], trait["resource"], evidence["pointer"],
                                trait.get("container"))
        return key, None, _hash(trait["id"], trait["resource"], evidence["pointer"])
    artifact = artifact_location(evidence["file"], root)
    physical: dict[str, Any] = {"artifactLocation": artifact}
    position = evidence.get("location")
    if position:
        physical["region"] = {"startLine": position["line"], "startColumn": position["column"]}
        key = (trait["id"], artifact["uri"], position["line"])
    else:
        key = (trait["id"], artifact["uri"], pointer)
    return key, physical, _hash(trait["id"], artifact["uri"], pointer)


def _hash(*parts: str) -> str:
    """GitHub's ``primaryLocationLineHash`` shape (``<16 hex digits>:<n>``)."""
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16] + ":1"


def _slots(doc: dict[str, Any], root: Path) -> list[_Slot]:
    slots: dict[tuple[Any, ...], _Slot] = {}
    shown: dict[tuple[Any, ...], _Slot] = {}
    """Trait instance (:func:`dict_key`) → the slot showing it."""

    def add(trait: dict[str, Any], part: _Part) -> None:
        key, physical, fingerprint = _place(trait, root)
        slot = slots.get(key)
        if slot is None:
            slot = slots[key] = _Slot(physical, fingerprint)
        slot.parts.append(part)
        shown.setdefault(dict_key(trait), slot)

    for finding in all_findings(doc):
        for trait in finding["traits"]:
            add(trait, _Part(trait, finding["severity"], finding=finding,
                             rule=status.trait_suppression(finding, trait)))
    for entry, trait in beyond_finding_dicts(doc):
        add(trait, _Part(trait, trait["severity"], entry=entry,
                         rule=trait.get("suppressed_by")))
    for entry in doc["posture"]:
        for trait in entry["traits"]:
            shown[dict_key(trait)].alone.append(     # a finding's or its own
                _rank(trait.get("suppressed_by"), trait["severity"]))
    return list(slots.values())


def _config_location(rule: dict[str, Any], root: Path) -> dict[str, Any] | None:
    """Where a suppression is written in the config file."""
    if not rule.get("source"):
        return None
    physical: dict[str, Any] = {"artifactLocation": artifact_location(rule["source"], root)}
    if rule.get("line"):
        physical["region"] = {"startLine": rule["line"]}
    return {"physicalLocation": physical}


def _suppression(rule: dict[str, Any], root: Path) -> dict[str, Any]:
    """A config-file suppression as SARIF's: accepted, outside the analysed files."""
    entry: dict[str, Any] = {"kind": "external", "status": "accepted",
                             "justification": rule["reason"],
                             "properties": {key: rule[key] for key in ("owner", "expires")
                                            if rule.get(key)} | {"rule": rule["pointer"]}}
    location = _config_location(rule, root)
    if location is not None:
        entry["location"] = location
    return entry


def _message(parts: list[_Part], alone: str | None) -> str:
    first = parts[0]
    details = list(dict.fromkeys(p.trait["evidence"]["detail"] for p in parts))
    text = "; ".join(details[:3]) + (f" (+{len(details) - 3} more)" if len(details) > 3 else "")
    if first.finding is not None:
        finding = first.finding
        others = len({p.finding["id"] for p in parts if p.finding is not None}) - 1
        text += (f" (part of the {first.severity} exposure of {kind(finding)} "
                 f"{finding['resource']['name']}: {finding['title']}"
                 + (f"; and of {others} other finding{'s' * (others != 1)}" if others else "")
                 + ")" + (f"; a {alone} weakness on its own" if alone else ""))
    else:
        resource = first.entry["resource"] if first.entry else {"type": "", "name": ""}
        text += (f" (posture: {first.severity} weakness of "
                 f"{KINDS.get(resource['type'], 'resource')} {resource['name']}, in no "
                 "exposure finding)")
    return truncate(text, MESSAGE_MAX)


def _baseline_state(parts: list[_Part]) -> str | None:
    states = {BASELINE_STATES[p.finding["baseline"]["state"]] for p in parts
              if p.finding is not None and "baseline" in p.finding}
    for state in ("new", "updated", "unchanged"):
        if state in states:
            return state
    return None


def _result(slot: _Slot, rule_index: int, root: Path) -> dict[str, Any]:
    ranked = slot.ranked()
    first = ranked[0]
    trait = first.trait
    open_parts = [p for p in ranked if p.rule is None]
    shown = open_parts or ranked                   # the baseline state of what is open
    location: dict[str, Any] = {"logicalLocations": [
        {"name": last_segment(uid), "fullyQualifiedName": uid, "kind": "resource"}
        for uid in list(dict.fromkeys(p.trait["resource"] for p in ranked))[:LISTED_MAX]]}
    if slot.physical is not None:
        location["physicalLocation"] = slot.physical
    finding_ids = list(dict.fromkeys(p.finding["id"] for p in ranked if p.finding is not None))
    properties: dict[str, Any] = {"pointer": trait["evidence"]["pointer"],
                                  "contextual": trait["contextual"],
                                  "status": "suppressed" if not open_parts else "open"}
    if first.finding is not None:
        properties.update({"finding": first.finding["id"], "finding-severity": first.severity,
                           "resource": first.finding["resource"]["arn"]})
        if (alone := slot.posture_severity()) is not None:
            properties["posture-severity"] = alone
        if len(finding_ids) > 1:
            properties.update({"findings": finding_ids[:LISTED_MAX],
                               "finding-count": len(finding_ids)})
    else:
        properties.update({"posture": True, "posture-severity": first.severity,
                           "resource": first.entry["resource"]["arn"] if first.entry
                           else trait["resource"]})
    result: dict[str, Any] = {
        "ruleId": trait["id"],
        "ruleIndex": rule_index,
        "level": "note" if trait["contextual"] else LEVELS[SEVERITY_ORDER[slot.rank[1]]],
        "message": {"text": _message(ranked, slot.posture_severity())},
        "locations": [location],
        "partialFingerprints": {"primaryLocationLineHash": slot.fingerprint},
        "properties": properties,
    }
    if not open_parts:
        rules = {p.rule["pointer"]: p.rule for p in ranked if p.rule is not None}
        result["suppressions"] = [_suppression(r, root) for r in rules.values()]
    elif len(open_parts) < len(ranked):       # accepted for some, still open for others
        properties["suppressed-findings"] = list(dict.fromkeys(
            p.finding["id"] for p in ranked if p.rule is not None and p.finding is not None)
        )[:LISTED_MAX]
    state = _baseline_state(shown)
    if state is not None:
        result["baselineState"] = state
    return result


def _notifications(doc: dict[str, Any], root: Path) -> list[dict[str, Any]]:
    """Input errors and skipped files as tool notifications (messages are already masked)."""
    notes = []
    for level, key in (("error", "errors"), ("note", "skipped")):
        for item in doc[key]:
            notes.append({"level": level, "message": {"text": item["message"]},
                          "locations": [{"physicalLocation": {
                              "artifactLocation": artifact_location(item["source"], root)}}]})
    for rule in status.notable_rules(doc):
        if rule["state"] == "unused":     # expired ones are among the errors already
            location = _config_location(rule, root)
            notes.append({"level": "warning", "message": {"text": status.rule_problem(rule)}}
                         | ({"locations": [location]} if location else {}))
    return notes


def _fitting(slots: list[_Slot], limit: int) -> str | None:
    """The lowest ``--min-severity`` whose report fits in ``limit`` results. It keeps a
    location when a finding there reaches it, or when the trait's own (posture) severity does
    (:mod:`ecs_exposure.reporters.selection`), suppressed or not; ``None`` if none does."""
    best: Counter[int] = Counter()
    for slot in slots:
        best[min(rank[1] for rank in [p.rank for p in slot.parts] + slot.alone)] += 1
    fitting, total = None, 0
    for index, name in enumerate(SEVERITY_ORDER[:-1]):
        total += best[index]
        if total > limit:
            break
        fitting = name.lower()
    return fitting


def cap_message(total: int, kept: int, fitting: str | None) -> str:
    """What the user reads when results were left out to stay within GitHub's limit."""
    advice = (f"--min-severity {fitting} fits (--only findings leaves out the posture)"
              if fitting else "even --min-severity critical does not fit: scan the estate "
              "in parts (one SARIF category each)")
    return (f"SARIF: {total - kept:,} of {total:,} results left out, GitHub code scanning "
            f"accepts at most {kept:,} per run; the most severe open ones are kept. To upload "
            f"them all, narrow the report: {advice}.")


def sarif_log(result: ScanResult, root: Path | None = None,
              context: ReportContext | None = None, *, max_results: int | None = None,
              warn: Callable[[str], None] | None = None) -> dict[str, Any]:
    """The SARIF log; file locations are relative to ``root`` (default: the current folder).
    ``warn`` is told when results were left out to stay within ``max_results`` (default
    :data:`MAX_RESULTS`)."""
    limit = MAX_RESULTS if max_results is None else max_results
    root = (root or Path.cwd()).resolve()
    doc = result_dict(result, context, include=EVERY_FIELD | {POSTURE_IN_FULL})
    rule_list = catalog_rules(catalog())
    index = {rule["id"]: i for i, rule in enumerate(rule_list)}
    slots = _slots(doc, root)
    order = sorted(range(len(slots)), key=lambda i: (
        slots[i].rank, slots[i].parts[0].trait["contextual"], i))
    results = [_result(slots[i], index[slots[i].parts[0].trait["id"]], root)
               for i in order[:limit]]
    notes = _notifications(doc, root)
    run_properties: dict[str, Any] = {}
    if len(slots) > limit:
        message = cap_message(len(slots), limit, _fitting(slots, limit))
        notes.append({"level": "warning", "message": {"text": message}})
        run_properties["results-left-out"] = len(slots) - limit
        if warn is not None:
            warn(message)
    if doc.get("baseline"):
        run_properties["baseline"] = {key: doc["baseline"][key] for key in
                                      ("source", "generated_at", "counts")} | {
            "resolved": [p["id"] for p in doc["baseline"]["resolved"]]}
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "ecs-exposure", "version": __version__,
                            "semanticVersion": __version__, "rules": rule_list}},
        "originalUriBaseIds": {SRCROOT: {"uri": root.as_uri().rstrip("/") + "/"}},
        "invocations": [{"executionSuccessful": True,
                         "endTimeUtc": doc["generated_at"],
                         "toolExecutionNotifications": notes}],
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    if run_properties:
        run["properties"] = run_properties
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(result: ScanResult, context: ReportContext | None = None,
           root: Path | None = None, warn: Callable[[str], None] | None = None) -> str:
    """The SARIF log as JSON text."""
    return orjson.dumps(sarif_log(result, root, context, warn=warn),
                        option=orjson.OPT_INDENT_2).decode() + "\n"


def write(result: ScanResult, stream: IO[str], options: ReportOptions, /) -> None:
    """The reporter interface (:mod:`ecs_exposure.reporters.base`)."""
    stream.write(render(result, options.context, options.source_root, options.warn))
