"""Unknown is never safe: what a finding depends on but the inputs could not tell is named in
the finding and assessed on the unsafe side (issue 20, item 2)."""

from __future__ import annotations

from ecs_exposure.detectors.network import REACHABLE
from ecs_exposure.model import Level, Severity
from support.builders import (
    container,
    network,
    scan_docs,
    security_group,
    service,
    task_definition,
    tcp,
)


def test_service_running_a_revision_not_in_the_inputs_gets_a_finding() -> None:
    # Only the newest revision (2) was exported; the service still runs revision 1.
    result = scan_docs({"taskDefinition": task_definition(revision=2)},
                       {"services": [service(revision=1)]},
                       {"SecurityGroups": [security_group("sg-1")]}, *network())
    finding = next(f for f in result.findings if f.name == "svc")
    assert "task definition app:1" in finding.missing
    assert finding.impact is Level.HIGH
    assert finding.severity is Severity.MEDIUM        # low likelihood × assumed high impact
    assert "unknown and assumed the worst" in finding.why
    assert "app:1 is not in the inputs" in finding.why
    assert "impact unknown" in finding.title
    assert "Supply what could not be read" in finding.remediation_summary


def test_the_services_own_reachability_still_counts_with_an_unknown_revision() -> None:
    # The listening ports live in the missing revision: any open port may be listening.
    result = scan_docs({"services": [service(public_ip=True)]},
                       {"SecurityGroups": [security_group("sg-1", tcp(8080))]}, *network())
    finding = result.findings[0]
    assert finding.reachability == "potential"
    assert finding.severity is Severity.HIGH           # moderate × assumed high
    reach = next(t for t in finding.traits if t.id == REACHABLE.id)
    assert reach.potential
    assert "listening ports (task definition app:1 not in the inputs)" in reach.missing


def test_known_revision_keeps_its_own_assessment() -> None:
    result = scan_docs({"taskDefinition": task_definition(containers=[container()])},
                       {"services": [service()]},
                       {"SecurityGroups": [security_group("sg-1")]}, *network())
    assert result.findings == ()
