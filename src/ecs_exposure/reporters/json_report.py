"""The JSON result, DESIGN §5: field names here are a public contract (add, never rename).

``result@3`` is compact by default, so that a 10,000-service result is tens of megabytes, not
hundreds: a finding names its most urgent vulnerabilities and counts the rest, carries its fix
as JSON Patch operations against the running revision (``remediation.changes``), a trait
carries its own evidence while what every instance of a trait id shares (title, category,
contextual, remediation) is written once under ``guidance``, and a posture trait a finding
already lists is a reference to it (``listed_in`` and ``trait``). Findings, posture entries
and images are written one per line. ``--include vulnerabilities`` restores every
vulnerability of every image (``images[].vulnerabilities`` / ``suppressed``, and the full
records of the traits' ``facts.top``); ``--include fixed-revisions`` each finding's whole
fixed revision (``remediation.task_definition``); ``--include locations`` the line and column
of each evidence in its input file. The other reporters build on the same tree with every
field (:data:`EVERY_FIELD`). The ``result@1`` and ``@2`` differences are in the README.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from typing import Any, BinaryIO

import orjson

from ecs_exposure import __version__
from ecs_exposure.analysis.allocation import no_cycle_collection
from ecs_exposure.analysis.secrets import mask
from ecs_exposure.analysis.vulnerabilities.cvss import ATTACK_VECTORS
from ecs_exposure.analysis.vulnerabilities.store import (
    AssessedVulnerability,
    ContainerVulnerabilities,
    ImageAssessment,
)
from ecs_exposure.detectors.registry import SPECS
from ecs_exposure.exposure.compliance import ComplianceReport
from ecs_exposure.exposure.vulnerabilities import top_vulnerabilities
from ecs_exposure.model import (
    IMPACT_NAMES,
    LIKELIHOOD_NAMES,
    Finding,
    Json,
    ScanResult,
    Severity,
    SourceError,
    Trait,
)
from ecs_exposure.remediation.guidance import guidance_for
from ecs_exposure.reporters import posture_view, status
from ecs_exposure.reporters.base import INCLUDES, ReportOptions
from ecs_exposure.reporters.compliance_view import report_dict
from ecs_exposure.reporters.context import ReportContext
from ecs_exposure.sources.positions import PositionCache

SCHEMA = "ecs-exposure/result@3"
VULNERABILITIES, FIXED_REVISIONS, LOCATIONS = INCLUDES
POSTURE_IN_FULL = "posture-in-full"
"""Not a ``--include`` value: the reporters that show a posture trait on its own (OCSF and ASFF
records, SARIF results, the HTML posture table) ask for every posture trait in full instead of
a ``listed_in`` reference, so they need not look the finding's copy up."""
FULL_ENTRIES = "full-entries"
"""Not a ``--include`` value: each trait with its id's title, category, contextual flag and
remediation beside its evidence, and each container's image match, reports and operating
system beside its counts, as the reporters that show a trait or a container on its own use
them (the compact JSON result has them once: per trait id under ``guidance``, per image under
``images``)."""
EVERY_FIELD = frozenset({FULL_ENTRIES, LOCATIONS})
"""What a reporter other than the JSON result asks for: every field of every trait and
container, evidence locations included."""
SHORT_REFERENCE = ("id", "package", "severity", "exploitable", "kev")
"""What a trait's ``facts.top`` keeps of each vulnerability with :data:`FULL_ENTRIES` (the
compact result keeps the id alone): the finding's ``vulnerabilities.top`` has the details of
the most urgent ones, ``--include vulnerabilities`` every field."""
REPORTED = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW)


@cache
def guidance_dict(trait_id: str) -> dict[str, Any]:
    """The whole guidance of a trait: what an attacker gains, what to change, how to contain
    it when the setting is really needed, and references."""
    spec = SPECS[trait_id]
    guidance = guidance_for(trait_id)
    return {"title": spec.title, "category": spec.category, "contextual": spec.contextual,
            "risk": guidance.why, "remediation": guidance.change,
            "if_needed": guidance.contain, "text": guidance.text(),
            "references": list(dict.fromkeys(spec.references + guidance.references))}


def vulnerability_dict(item: AssessedVulnerability) -> dict[str, object]:
    """Every normalised field of one vulnerability, fields without a value left out (they are
    most of them, and an estate has hundreds of thousands of records): the keys are those of
    :meth:`AssessedVulnerability.as_dict`."""
    record = item.record
    metrics = item.metrics
    attack_vector = ATTACK_VECTORS.get(metrics.attack_vector) if metrics else None
    entry: dict[str, object] = {"id": record.id}
    for key, value in (
            ("package", record.package), ("installed_version", record.installed_version),
            ("fixed_version", record.fixed_version), ("severity", record.severity),
            ("attack_vector", attack_vector), ("epss", item.epss)):
        if value is not None:
            entry[key] = value
    entry["kev"] = item.kev
    if record.exploit_available is not None:
        entry["exploit_available"] = record.exploit_available
    entry["malicious"] = record.malicious
    entry["exploitable"] = item.exploitable
    if item.reasons:
        entry["likely_because"] = list(item.reasons)
    entry["evidence"] = [{"scanner": o.scanner, "file": o.source, "pointer": o.pointer}
                         for o in record.origins]
    if record.aliases:
        entry["aliases"] = list(record.aliases)
    for key, value in (("package_path", record.package_path),
                       ("fix_available", record.fix_available), ("score", record.score)):
        if value is not None:
            entry[key] = value
    if item.vector is not None:
        cvss: dict[str, object] = {"vector": item.vector.vector}
        for key, value in (
                ("source", item.vector.source),
                ("version", metrics.version if metrics else None),
                ("attack_vector", attack_vector),
                ("privileges_required", metrics.privileges_required if metrics else None),
                ("user_interaction", metrics.user_interaction if metrics else None)):
            if value is not None:
                cvss[key] = value
        entry["cvss"] = cvss
    for key, value in (
            ("network_exploitable", item.network), ("epss_percentile", item.epss_percentile),
            ("epss_source", item.epss_source), ("kev_date_added", item.kev_date_added),
            ("kev_source", item.kev_source), ("last_known_exploit", record.last_known_exploit)):
        if value is not None:
            entry[key] = value
    if record.vex_state is not None:
        entry["vex"] = {"state": record.vex_state,
                        "justification": record.vex_justification}
    if record.suppressed is not None:
        entry["suppressed"] = record.suppressed
    return entry


def _reference(summary: Any) -> Any:
    """A vulnerability listed by reference (a finding's or a trait's top list): its scanner
    evidence and every other field are under the result's ``images``."""
    if not isinstance(summary, dict):
        return summary
    return {k: v for k, v in summary.items() if k != "evidence" and v is not None}


def _short_reference(summary: Any) -> Any:
    """A vulnerability a trait's facts name for the reporters (:data:`SHORT_REFERENCE`)."""
    if not isinstance(summary, dict):
        return summary
    return {k: summary[k] for k in SHORT_REFERENCE if summary.get(k) is not None}


def _id_reference(summary: Any) -> Any:
    """A vulnerability a trait's facts name in the compact result: its id."""
    return summary.get("id") if isinstance(summary, dict) else summary


@cache
def _trait_constants(trait_id: str) -> tuple[str, str, bool, str]:
    """What every instance of a trait shares: category, title, contextual, remediation."""
    spec = SPECS[trait_id]
    return spec.category, spec.title, spec.contextual, guidance_for(trait_id).change


def _image_summary(found: ImageAssessment) -> dict[str, Any]:
    """How an image was matched, its reports, operating system and counts."""
    by_severity: dict[str, int] = {}
    exploitable = fixable = 0
    for item in found.vulnerabilities:
        severity = item.record.severity
        by_severity[severity] = by_severity.get(severity, 0) + 1
        exploitable += item.exploitable
        fixable += bool(item.record.fix_available)
    summary = {
        "matched_by": found.matched_by,
        "reports": list(found.reports),
        "os": None if found.os is None else {
            "family": found.os.family, "version": found.os.version,
            "end_of_life": found.end_of_life},
        "counts": {
            "total": len(found.vulnerabilities),
            "exploitable": exploitable,
            "fixable": fixable,
            "by_severity": by_severity,
            "suppressed": len(found.suppressed),
        },
    }
    return summary


class _Renderer:
    """Builds the result's pieces; what many findings share (an image's counts, the facts of
    a trait that services on one revision share) is built once per render."""

    def __init__(self, positions: PositionCache, include: frozenset[str] = frozenset(),
                 listed: dict[str, Finding] | None = None) -> None:
        self.positions = positions
        self.include = include
        self.listed = listed or {}
        """Each resource a finding's trait is about → the first finding with a trait about it
        (one entry per resource, not per trait: 50,000 findings hold 700,000 traits). The
        compact posture refers to that finding for a trait it lists as the same object; two
        equal-looking traits may differ in their facts (a repository's trait seen from two
        revisions names two images), so equality is not enough."""
        self._built: dict[tuple[str, int], tuple[object, Any]] = {}

    def _once(self, kind: str, shared: object, build: Callable[[], Any]) -> Any:
        """``build()`` once per ``shared`` object (by identity) for the whole render; the
        object is held with the result, so its id cannot be reused by another."""
        key = (kind, id(shared))
        known = self._built.get(key)
        if known is None:
            known = self._built[key] = (shared, build())
        return known[1]

    def trait(self, trait: Trait, status: dict[str, Any] | None = None) -> dict[str, Any]:
        evidence: dict[str, Any] = {"pointer": trait.pointer, "detail": trait.detail}
        if trait.source:
            evidence["file"] = trait.source
            if trait.file_pointer is not None and LOCATIONS in self.include:
                evidence["file_pointer"] = trait.file_pointer
                position = self.positions.locate(trait.source, trait.file_pointer)
                if position is not None:
                    evidence["location"] = {"file": trait.source, "line": position.line,
                                            "column": position.column}
        if trait.extra:
            evidence["facts"] = self._facts_of(trait.extra)
        if trait.path:
            evidence["path"] = list(trait.path)
        if trait.potential:
            evidence["potential"] = True
            evidence["missing"] = list(trait.missing)
        if FULL_ENTRIES not in self.include:
            return {"id": trait.id, "resource": trait.resource, "container": trait.container,
                    "evidence": evidence, **(status or {"status": "open"})}
        category, title, contextual, remediation = _trait_constants(trait.id)
        return {
            "id": trait.id,
            "category": category,
            "title": title,
            "contextual": contextual,
            "resource": trait.resource,
            "container": trait.container,
            "evidence": evidence,
            "remediation": remediation,
            **(status or {"status": "open"}),
        }

    def _facts_of(self, extra: tuple[tuple[str, Any], ...]) -> dict[str, Any]:
        """A trait's facts; vulnerabilities in them are listed by reference (each top list
        is shared by every container on the same image, so it is converted once)."""
        return {key: self._references(value) if key == "top" and isinstance(value, list)
                else value for key, value in extra}

    def _references(self, top: list[Any]) -> list[Any]:
        shorten = (_reference if VULNERABILITIES in self.include
                   else _short_reference if FULL_ENTRIES in self.include else _id_reference)
        references: list[Any] = self._once(
            "references", top, lambda: [shorten(item) for item in top])
        return references

    def posture_trait(self, trait: Trait) -> dict[str, Any]:
        """A posture trait: in full, unless a finding lists the same instance: then a
        reference to it (``listed_in``: that finding's id, ``trait``: the index in its
        ``traits``, whose entry has the resource, evidence and facts) with the trait's id and
        container, for reading without following it, and its own severity and status."""
        holder = self.listed.get(trait.resource)
        if holder is None or POSTURE_IN_FULL in self.include:
            return self.trait(trait)
        indexes: dict[int, int] = self._once(
            "listed", holder, lambda: {id(t): i for i, t in enumerate(holder.traits)})
        index = indexes.get(id(trait))   # the same instance (the finding holds it), not equal
        if index is None:
            return self.trait(trait)
        return {"id": trait.id, "container": trait.container, "listed_in": holder.id,
                "trait": index}

    def image_summary(self, found: ImageAssessment) -> dict[str, Any]:
        """How an image was matched, its reports, operating system and counts."""
        summary: dict[str, Any] = self._once("summary", found, lambda: _image_summary(found))
        return summary

    def container(self, entry: ContainerVulnerabilities) -> dict[str, Any]:
        """One container's image and its counts (how it was matched, its reports and
        operating system are under ``images[image]``, and here with :data:`FULL_ENTRIES`);
        the full list of the image's vulnerabilities is there too (once per image, however
        many containers run it, so the result stays linear in the records)."""
        if FULL_ENTRIES not in self.include:
            return {"container": entry.container, "image": entry.image,
                    "task_definition": entry.task_definition,
                    "counts": self.image_summary(entry.assessment)["counts"]}
        return {"container": entry.container, "image": entry.image,
                "task_definition": entry.task_definition,
                **self.image_summary(entry.assessment)}

    def finding(self, finding: Finding, changes: list[Json] | None,
                fixed: Json | None = None) -> dict[str, Any]:
        entry = {
            "id": finding.id,
            "resource": {
                "type": finding.resource_type,
                "arn": finding.arn,
                "name": finding.name,
                "cluster": finding.cluster,
                "account": finding.account,
                "region": finding.region,
            },
            "severity": finding.severity.name,
            "likelihood": LIKELIHOOD_NAMES[finding.likelihood],
            "impact": IMPACT_NAMES[finding.impact],
            "why": finding.why,
            "title": finding.title,
            "reachability": finding.reachability,
            "missing": list(finding.missing),
            "task_definitions": list(finding.task_definitions),
            "traits": [self.trait(t, status.trait_status(finding, i))
                       for i, t in enumerate(finding.traits)],
            "attack_path": list(finding.attack_path),
            "remediation": {"summary": finding.remediation_summary, "changes": changes,
                            **({"task_definition": fixed}
                               if FIXED_REVISIONS in self.include else {})},
            "vulnerabilities": {
                "top": [{"container": container, **_reference(item.summary())}
                        for container, item in top_vulnerabilities(finding.vulnerabilities)],
                "containers": [self.container(e) for e in finding.vulnerabilities],
            },
            "incomplete": list(finding.incomplete),
            **status.finding_status(finding),
        }
        compared = status.finding_baseline(finding)
        if compared is not None:
            entry["baseline"] = compared
        return entry

    def images(self, findings: Iterable[Finding]) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every vulnerability of every image a finding's container runs, suppressed ones
        apart, once per image."""
        # Names that resolve to the same reports (a tag and a digest) share one assessment:
        # its list is built once and kept only until its last name is written.
        names: dict[str, ImageAssessment] = {}
        for finding in findings:
            for entry in finding.vulnerabilities:
                names.setdefault(entry.image, entry.assessment)
        waiting = Counter(id(found) for found in names.values())
        listed: dict[int, dict[str, Any]] = {}
        for image, found in names.items():
            listing = listed.pop(id(found), None) or ({
                **self.image_summary(found),
                "vulnerabilities": [vulnerability_dict(v) for v in found.vulnerabilities],
                "suppressed": [vulnerability_dict(v) for v in found.suppressed],
            } if VULNERABILITIES in self.include else self.image_summary(found))
            waiting[id(found)] -= 1
            if waiting[id(found)]:
                listed[id(found)] = listing
            yield image, listing


def error_dict(error: SourceError) -> dict[str, Any]:
    """One input or collection problem; AWS errors also say where and which call failed."""
    entry: dict[str, Any] = {"source": error.source, "message": mask(error.message)}
    for key in ("account", "region", "operation"):
        if getattr(error, key) is not None:
            entry[key] = getattr(error, key)
    return entry


class _Stream:
    """A large member of the result (a list, or an object as ``(key, value)`` pairs) that is
    produced and written one item at a time."""

    def __init__(self, items: Iterable[Any], *, pairs: bool = False) -> None:
        self.items = items
        self.pairs = pairs


def _members(result: ScanResult, context: ReportContext | None,
             compliance: tuple[ComplianceReport, ...] = (),
             include: frozenset[str] = frozenset()) -> Iterator[tuple[str, Any]]:
    """The result's members in order; the large ones as :class:`_Stream`. ``compliance``:
    the ``--compliance`` reports, a ``compliance`` member when there are any; ``include``:
    the full listings asked for (:data:`INCLUDES`)."""
    context = context or ReportContext()
    by_severity = {s.name: 0 for s in REPORTED}
    for finding in result.findings:
        by_severity[finding.severity.name] += 1
    every = result.findings + result.task_definition_findings
    listed: dict[str, Finding] = {}
    for finding in every:
        for trait in finding.traits:
            listed.setdefault(trait.resource, finding)
    renderer = _Renderer(context.evidence_positions(result), include, listed)
    with_revisions = FIXED_REVISIONS in include

    def rendered(findings: tuple[Finding, ...]) -> Iterator[dict[str, Any]]:
        for finding in findings:
            yield renderer.finding(
                finding, context.fix_changes(finding),
                context.fixed_task_definition(finding) if with_revisions else None)

    yield "schema", SCHEMA
    yield "generated_at", result.generated_at
    yield "tool", {"name": "ecs-exposure", "version": __version__}
    yield "summary", {
        "services": result.services,
        "findings": len(result.findings),
        "by_severity": by_severity,
        "task_definitions": result.task_definitions,
        "task_definition_findings": len(result.task_definition_findings),
        "vulnerability_reports": result.vulnerability_reports,
        "unscanned_images": len(result.unscanned_images),
        "incomplete": len(result.incomplete),
        "posture": posture_view.summary(result.posture),
        "open": status.open_summary(result, REPORTED),
    }
    yield "findings", _Stream(rendered(result.findings))
    yield "task_definition_findings", _Stream(rendered(result.task_definition_findings))
    yield "posture", _Stream(posture_view.entry_dict(e, renderer.posture_trait)
                             for e in result.posture)
    if compliance:
        yield "compliance", {report.framework.name: report_dict(report, renderer.trait)
                             for report in compliance}
    yield "errors", [error_dict(e) for e in result.errors]
    yield "skipped", [{"source": e.source, "message": mask(e.message)} for e in result.skipped]
    yield "inputs", list(result.inputs)
    yield "images", _Stream(renderer.images(every), pairs=True)
    yield "unscanned_images", [{"image": u.image, "services": list(u.services),
                                "containers": list(u.containers)}
                               for u in result.unscanned_images]
    yield "intel", [{"kind": i.kind, "source": i.source, "version": i.version, "date": i.date,
                     "count": i.count} for i in result.intel]
    yield "incomplete", [{"resource": i.resource, "reasons": list(i.reasons)}
                         for i in result.incomplete]
    yield "suppressions", [status.use_dict(use) for use in result.suppressions]
    yield "baseline", (None if result.baseline is None
                       else status.baseline_dict(result, result.baseline))
    trait_ids = sorted({t.id for f in every for t in f.traits}
                       | {t.id for e in result.posture for t in e.traits})
    yield "guidance", {trait_id: guidance_dict(trait_id) for trait_id in trait_ids}


def result_dict(result: ScanResult, context: ReportContext | None = None,
                compliance: tuple[ComplianceReport, ...] = (),
                include: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The whole result object, as one tree (for the reporters built on it). ``context``:
    the scan's fixed revisions and evidence positions (:class:`ReportContext`); without it,
    positions are located from the input files and no fixed revision is included.
    ``compliance``: the ``--compliance`` reports to include; ``include``: the full listings
    (:data:`INCLUDES`) beside the compact result."""
    with no_cycle_collection():
        return {key: _materialised(value)
                for key, value in _members(result, context, compliance, include)}


def _materialised(value: Any) -> Any:
    if not isinstance(value, _Stream):
        return value
    return dict(value.items) if value.pairs else list(value.items)


_INDENT = orjson.OPT_INDENT_2


def write(result: ScanResult, out: BinaryIO, options: ReportOptions | None = None) -> None:
    """Write the JSON result to ``out``, one finding (and one image) at a time (the reporter
    interface; of ``options`` the scan's ``context`` (fixes and evidence positions), the
    ``--compliance`` reports and ``include`` (the full listings asked for) are used).

    The document is ``result_dict(result)``, but the whole tree never exists at once: on a
    large estate it would be gigabytes. The small members are indented; each finding,
    posture entry and image is one line (indenting them made the result a third larger, and
    a line per finding is what ``grep`` and ``jq -c`` users work with; ``jq .`` indents it
    all). orjson escapes control characters, so hostile names stay inert; a JSON string never
    holds a raw newline, so re-indenting a nested member is a plain byte replacement."""
    context = options.context if options is not None else None
    compliance = options.compliance if options is not None else ()
    include = options.include if options is not None else frozenset()
    with no_cycle_collection():
        out.write(b"{")
        first = True
        for key, value in _members(result, context, compliance, include):
            out.write(b"\n  " if first else b",\n  ")
            first = False
            out.write(orjson.dumps(key) + b": ")
            if isinstance(value, _Stream):
                _write_stream(value, out)
            else:
                out.write(orjson.dumps(value, option=_INDENT).replace(b"\n", b"\n  "))
        out.write(b"\n}\n" if not first else b"}\n")


def _write_stream(stream: _Stream, out: BinaryIO) -> None:
    opening, closing = (b"{", b"}") if stream.pairs else (b"[", b"]")
    out.write(opening)
    empty = True
    for item in stream.items:
        out.write(b"\n    " if empty else b",\n    ")
        empty = False
        if stream.pairs:
            key, item = item
            out.write(orjson.dumps(key) + b": ")
        out.write(orjson.dumps(item))
    out.write(closing if empty else b"\n  " + closing)


def render_bytes(result: ScanResult, context: ReportContext | None = None,
                 include: frozenset[str] = frozenset()) -> bytes:
    """The pretty JSON result as UTF-8 bytes (see :func:`write`)."""
    buffer = io.BytesIO()
    write(result, buffer, ReportOptions(context=context, include=include))
    return buffer.getvalue()


def render(result: ScanResult, context: ReportContext | None = None,
           include: frozenset[str] = frozenset()) -> str:
    """The same JSON as text, for callers that want a string."""
    return render_bytes(result, context, include).decode()
