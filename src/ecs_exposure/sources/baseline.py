"""Reading ``--baseline PREVIOUS.json``: an earlier run's JSON result, to compare a scan with
(:mod:`ecs_exposure.exposure.baseline`). Only what the comparison reports is kept of each
finding (id, severity, resource, title, trait ids), so a large baseline costs little."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from ecs_exposure.analysis.shapes import as_dict, as_list
from ecs_exposure.errors import BaselineError as BaselineError  # re-exported
from ecs_exposure.model import PreviousFinding, PreviousResult, Severity
from ecs_exposure.sources.jsonfile import MAX_FILE_BYTES, InputError, read_input

MAX_BASELINE_BYTES = MAX_FILE_BYTES
"""A previous result is read up to the size of any input (a pipe that never ends stops
there)."""

RESULT_SCHEMA = "ecs-exposure/result@3"
READABLE_SCHEMAS = ("ecs-exposure/result@1", "ecs-exposure/result@2", RESULT_SCHEMA)
"""Results a baseline may be: ``@2`` is ``@1`` made compact, and the fields read here (each
finding's id, severity, resource, title and trait ids) are the same in both."""


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _previous(entry: Any, where: str) -> PreviousFinding:
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
        raise BaselineError(f"{where}: a finding without an id")
    severity = entry.get("severity")
    try:
        level = Severity.parse(severity) if isinstance(severity, str) else None
    except KeyError:
        level = None
    if level is None:
        raise BaselineError(f"{where}/severity: not a severity: {severity!r}")
    resource = as_dict(entry.get("resource"))
    traits = as_list(entry.get("traits"))
    return PreviousFinding(
        id=entry["id"], severity=level,
        resource_type=_text(resource.get("type")) or "", arn=_text(resource.get("arn")) or "",
        name=_text(resource.get("name")) or "", title=_text(entry.get("title")) or "",
        account=_text(resource.get("account")), region=_text(resource.get("region")),
        traits=tuple(dict.fromkeys(t["id"] for t in traits
                                   if isinstance(t, dict) and isinstance(t.get("id"), str))))


def previous_result(doc: Any, source: str) -> PreviousResult:
    """The findings of a parsed JSON result (``--format json`` output of any earlier run)."""
    if not isinstance(doc, dict) or doc.get("schema") not in READABLE_SCHEMAS:
        raise BaselineError(f"{source}: not an ecs-exposure JSON result (no \"schema\": "
                            f"\"{RESULT_SCHEMA}\"); make one with scan --format json")
    findings: dict[str, PreviousFinding] = {}
    for key in ("findings", "task_definition_findings"):
        entries = doc.get(key, [])
        if not isinstance(entries, list):
            raise BaselineError(f"{source}: /{key} is not a list")
        for index, entry in enumerate(entries):
            found = _previous(entry, f"{source}: /{key}/{index}")
            findings[found.id] = found
    return PreviousResult(source, _text(doc.get("generated_at")), findings)


def load_baseline(path: Path) -> PreviousResult:
    """Read and check a previous JSON result; :class:`BaselineError` names the problem."""
    source = str(path)
    try:
        data = read_input(path, MAX_BASELINE_BYTES, regular_only=False)
    except InputError as exc:
        raise BaselineError(f"{source}: {exc}") from None
    except OSError as exc:
        raise BaselineError(f"{source}: cannot read: {exc.strerror or exc}") from None
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise BaselineError(f"{source}: not JSON ({exc})") from None
    return previous_result(doc, source)


__all__ = ["BaselineError", "load_baseline", "previous_result"]
