"""CSV: one row per trait instance, for spreadsheets and ad-hoc filtering.

Each row repeats its finding's columns (severity, service, cluster …) so that a sheet sorted
or filtered on any column still reads on its own. After the findings' rows come the posture's
(``record`` ``posture``): every trait of every resource that no finding lists, with the
trait's own severity, its resource's kind (service, task definition, cluster) and the
finding of that resource, if any, in ``finding_id``; likelihood, impact, reachability and
title are for findings only. The last columns say whether the finding and the trait are
``open`` or ``suppressed`` (and by which rule), and, with ``--baseline``, the finding's state;
a baseline finding no longer found gets one row of its own (``record`` ``baseline``),
``resolved`` (or ``unverified``) in the ``baseline`` column.

Resource names come from AWS and from files anyone can write, and a spreadsheet runs a cell
that starts with ``=``, ``+``, ``-`` or ``@`` as a formula (``=HYPERLINK(…)`` exfiltration,
DDE). Such text cells get a leading apostrophe, as OWASP recommends, which spreadsheets show
as plain text; leading whitespace or control and format characters (a direction mark), which
some spreadsheets strip before that check, do not hide the prefix, and a cell that starts with
a control or format character is quoted the same way. A bare carriage return is not quoted by
the ``csv`` module but ends a row in spreadsheets, so the text after it would be a new,
unchecked cell: every CR and CRLF becomes LF first, which the writer quotes, keeping the value
in one cell.

Two dialects (``scan --csv-dialect``): ``excel``, the default, starts with a UTF-8 byte order
mark and ends rows with CRLF, because Excel opens a double-clicked CSV as the system's legacy
code page unless the BOM says UTF-8 (the cells hold →, ≥ and —); ``unix`` has neither, for
pipes and tools that would read the BOM as part of the first column name.

Example::

    finding_id,severity,likelihood,impact,kind,cluster,name,…,trait,category,…,record
    ebfb1d61…,HIGH,moderate,high,service,prod,storefront-web,…,privileged-container,…,finding
    ,LOW,,,cluster,staging,staging,…,container-insights-disabled,…,posture
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from typing import IO, Any

from ecs_exposure.model import ScanResult
from ecs_exposure.reporters import status
from ecs_exposure.reporters.base import CSV_DIALECTS as DIALECTS
from ecs_exposure.reporters.base import ReportOptions
from ecs_exposure.reporters.common import all_findings, kind
from ecs_exposure.reporters.context import ReportContext
from ecs_exposure.reporters.json_report import EVERY_FIELD, result_dict
from ecs_exposure.reporters.posture_view import KINDS, beyond_finding_dicts

COLUMNS = (
    "finding_id", "severity", "likelihood", "impact", "reachability", "kind", "account",
    "region", "cluster", "name", "arn", "title", "trait", "category", "contextual",
    "trait_title", "resource", "container", "pointer", "file", "line", "column", "detail",
    "remediation", "record", "finding_status", "trait_status", "suppression", "baseline",
)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d",
                    "\uff20")
"""Characters that make a spreadsheet read a cell as a formula (with their full-width forms,
which some spreadsheets normalise), and the whitespace some strip first."""
_LINE_BREAKS = re.compile(r"\r\n?")
_INVISIBLE = ("Cc", "Cf")
"""Control and format characters: a cell starting with one is quoted like a formula."""
BOM = "\ufeff"


def cell(value: object) -> object:
    """A value safe to open in a spreadsheet; numbers and booleans pass unchanged."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return value
    text = _LINE_BREAKS.sub("\n", str(value))
    neutral = not text.startswith(FORMULA_PREFIXES) and \
        not _significant(text).startswith(FORMULA_PREFIXES) and \
        not (text and unicodedata.category(text[0]) in _INVISIBLE)
    return text if neutral else "'" + text


def _significant(text: str) -> str:
    """``text`` from its first character that is neither whitespace nor a control or format
    character (a direction mark before ``=`` hides the formula from a reader, not from every
    spreadsheet)."""
    start = 0
    while start < len(text) and (text[start].isspace()
                                 or unicodedata.category(text[start]) in _INVISIBLE):
        start += 1
    return text[start:]


def _trait_columns(trait: dict[str, Any], rule: dict[str, Any] | None) -> dict[str, Any]:
    evidence = trait["evidence"]
    location = evidence.get("location") or {}
    return {
        "trait_status": trait["status"],
        "suppression": status.rule_note(rule) if rule else None,
        "trait": trait["id"], "category": trait["category"],
        "contextual": trait["contextual"], "trait_title": trait["title"],
        "resource": trait["resource"], "container": trait["container"],
        "pointer": evidence["pointer"], "file": evidence.get("file"),
        "line": location.get("line"), "column": location.get("column"),
        "detail": evidence["detail"], "remediation": trait["remediation"],
    }


def _posture_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per posture trait no finding row shows, with the trait's own severity."""
    out = []
    for entry, trait in beyond_finding_dicts(doc):
        resource = entry["resource"]
        out.append({
            "finding_id": entry["finding"], "severity": trait["severity"],
            "likelihood": None, "impact": None, "reachability": None,
            "kind": KINDS[resource["type"]], "account": resource["account"],
            "region": resource["region"], "cluster": resource["cluster"],
            "name": resource["name"], "arn": resource["arn"], "title": None,
        } | _trait_columns(trait, trait.get("suppressed_by")) | {"record": "posture"})
    return out


def _gone(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per baseline finding no longer found (``resolved``, or ``unverified`` when its
    scope could not be read), with the finding's columns only."""
    baseline = doc.get("baseline") or {}
    return [{"finding_id": previous["id"], "severity": previous["severity"],
             "kind": kind(previous), "account": previous["resource"]["account"],
             "region": previous["resource"]["region"], "name": previous["resource"]["name"],
             "arn": previous["resource"]["arn"], "title": previous["title"],
             "record": "baseline", "baseline": state}
            for state in ("resolved", "unverified") for previous in baseline.get(state, [])]


def rows(result: ScanResult, context: ReportContext | None = None) -> list[dict[str, Any]]:
    """One dict per trait instance, keyed by :data:`COLUMNS`, values not yet made safe:
    every finding's traits, then the posture traits no finding lists, then the baseline
    findings no longer found."""
    out = []
    doc = result_dict(result, context, include=EVERY_FIELD)
    for finding in all_findings(doc):
        resource = finding["resource"]
        base = {
            "finding_id": finding["id"], "severity": finding["severity"],
            "likelihood": finding["likelihood"], "impact": finding["impact"],
            "reachability": finding["reachability"],
            "kind": kind(finding),
            "account": resource["account"], "region": resource["region"],
            "cluster": resource["cluster"], "name": resource["name"], "arn": resource["arn"],
            "title": finding["title"], "finding_status": finding["status"],
            "baseline": finding["baseline"]["state"] if "baseline" in finding else None,
        }
        for trait in finding["traits"]:
            out.append(base | _trait_columns(trait, status.trait_suppression(finding, trait))
                       | {"record": "finding"})
    return out + _posture_rows(doc) + _gone(doc)


def render(result: ScanResult, context: ReportContext | None = None,
           dialect: str = "unix") -> str:
    """CSV text with a header row (RFC 4180 quoting). ``unix``: ``\\n`` row ends, no BOM;
    ``excel``: a UTF-8 BOM and ``\\r\\n`` row ends (line breaks inside a quoted cell stay
    ``\\n``, which Excel shows as a break within the cell)."""
    if dialect not in DIALECTS:
        raise ValueError(f"unknown CSV dialect {dialect!r}")
    excel = dialect == "excel"
    buffer = io.StringIO()
    if excel:
        buffer.write(BOM)
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n" if excel else "\n")
    writer.writeheader()
    for row in rows(result, context):
        writer.writerow({key: cell(row.get(key)) for key in COLUMNS})
    return buffer.getvalue()


def write(result: ScanResult, stream: IO[str], options: ReportOptions, /) -> None:
    """The reporter interface (:mod:`ecs_exposure.reporters.base`), in the dialect
    ``options.csv_dialect`` asks for."""
    stream.write(render(result, options.context, options.csv_dialect))
