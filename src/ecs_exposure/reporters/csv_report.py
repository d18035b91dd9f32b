"""CSV: one row per trait instance, for spreadsheets and ad-hoc filtering.

Each row repeats its finding's columns (severity, service, cluster …) so that a sheet sorted
or filtered on any column still reads on its own.

Resource names come from AWS and from files anyone can write, and a spreadsheet runs a cell
that starts with ``=``, ``+``, ``-`` or ``@`` as a formula (``=HYPERLINK(…)`` exfiltration,
DDE). Such text cells get a leading apostrophe, as OWASP recommends, which spreadsheets show
as plain text; leading whitespace, which some spreadsheets strip before that check, does not
hide the prefix. A bare carriage return is not quoted by the ``csv`` module but ends a row in
spreadsheets, so the text after it would be a new, unchecked cell: every CR and CRLF becomes
LF first, which the writer quotes, keeping the value in one cell.

Two dialects (``scan --csv-dialect``): ``excel``, the default, starts with a UTF-8 byte order
mark and ends rows with CRLF, because Excel opens a double-clicked CSV as the system's legacy
code page unless the BOM says UTF-8 (the cells hold →, ≥ and —); ``unix`` has neither, for
pipes and tools that would read the BOM as part of the first column name.

Example::

    finding_id,severity,likelihood,impact,kind,cluster,name,…,trait,category,…
    ebfb1d61…,HIGH,moderate,high,service,prod,storefront-web,…,privileged-container,…
"""

from __future__ import annotations

import csv
import io
import re
from typing import IO, Any

from ecs_exposure.model import ScanResult
from ecs_exposure.reporters.base import CSV_DIALECTS as DIALECTS
from ecs_exposure.reporters.base import ReportOptions
from ecs_exposure.reporters.common import all_findings, kind
from ecs_exposure.reporters.context import ReportContext
from ecs_exposure.reporters.json_report import result_dict

COLUMNS = (
    "finding_id", "severity", "likelihood", "impact", "reachability", "kind", "account",
    "region", "cluster", "name", "arn", "title", "trait", "category", "contextual",
    "trait_title", "resource", "container", "pointer", "file", "line", "column", "detail",
    "remediation",
)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d",
                    "\uff20")
"""Characters that make a spreadsheet read a cell as a formula (with their full-width forms,
which some spreadsheets normalise), and the whitespace some strip first."""
_LINE_BREAKS = re.compile(r"\r\n?")
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
        not text.lstrip().startswith(FORMULA_PREFIXES)
    return text if neutral else "'" + text


def rows(result: ScanResult, context: ReportContext | None = None) -> list[dict[str, Any]]:
    """One dict per trait instance, keyed by :data:`COLUMNS`, values not yet made safe."""
    out = []
    for finding in all_findings(result_dict(result, context)):
        resource = finding["resource"]
        base = {
            "finding_id": finding["id"], "severity": finding["severity"],
            "likelihood": finding["likelihood"], "impact": finding["impact"],
            "reachability": finding["reachability"],
            "kind": kind(finding),
            "account": resource["account"], "region": resource["region"],
            "cluster": resource["cluster"], "name": resource["name"], "arn": resource["arn"],
            "title": finding["title"],
        }
        for trait in finding["traits"]:
            evidence = trait["evidence"]
            location = evidence.get("location") or {}
            out.append(base | {
                "trait": trait["id"], "category": trait["category"],
                "contextual": trait["contextual"], "trait_title": trait["title"],
                "resource": trait["resource"], "container": trait["container"],
                "pointer": evidence["pointer"], "file": evidence.get("file"),
                "line": location.get("line"), "column": location.get("column"),
                "detail": evidence["detail"], "remediation": trait["remediation"],
            })
    return out


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
        writer.writerow({key: cell(value) for key, value in row.items()})
    return buffer.getvalue()


def write(result: ScanResult, stream: IO[str], options: ReportOptions, /) -> None:
    """The reporter interface (:mod:`ecs_exposure.reporters.base`), in the dialect
    ``options.csv_dialect`` asks for."""
    stream.write(render(result, options.context, options.csv_dialect))
