"""--only and --min-severity narrow a copy of the result."""

from __future__ import annotations

from ecs_exposure.exposure.posture import severity_of
from ecs_exposure.model import Severity
from ecs_exposure.reporters.selection import select
from support.report_inputs import demo_result


def test_nothing_narrowed_is_the_result_itself() -> None:
    result = demo_result()
    assert select(result) is result


def test_only_keeps_one_part() -> None:
    result = demo_result()
    posture = select(result, "posture")
    assert posture.findings == () and posture.task_definition_findings == ()
    assert posture.posture == result.posture
    findings = select(result, "findings")
    assert findings.posture == () and findings.findings == result.findings


def test_min_severity_drops_findings_and_posture_traits_below_it() -> None:
    result = demo_result()
    high = select(result, min_severity=Severity.HIGH)
    assert high.findings and all(f.severity >= Severity.HIGH for f in high.findings)
    assert len(high.findings) < len(result.findings)
    traits = [t for e in high.posture for t in e.traits]
    assert traits and all(severity_of(t) == Severity.HIGH for t in traits)
    assert all(e.traits for e in high.posture)
    # an entry keeps its identity and its other fields
    kept = {e.id: e for e in high.posture}
    for entry in result.posture:
        if entry.id in kept:
            assert kept[entry.id].arn == entry.arn and kept[entry.id].finding == entry.finding
