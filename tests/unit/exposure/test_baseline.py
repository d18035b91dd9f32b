"""Baselines: new, unchanged, worse, better, resolved and unverified; ``--fail-on-new``; the
identity that makes a finding the same finding in the next run."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import date
from typing import Any

from ecs_exposure.exposure.baseline import compare, new_findings
from ecs_exposure.exposure.suppressions import apply_suppressions
from ecs_exposure.model import Incomplete, ScanResult, Severity, SourceError, Suppression
from ecs_exposure.reporters.json_report import result_dict
from ecs_exposure.sources.baseline import previous_result
from support.builders import container, network, scan_docs, service, task_definition
from support.report_inputs import demo_result

SERVICE = "arn:aws:ecs:us-east-1:111122223333:service/prod/{}"


def estate(*names: str, privileged: bool = True) -> ScanResult:
    """One privileged service per name, each with its own task definition family."""
    return scan_docs(
        *({"taskDefinition": task_definition(n, containers=[container(
            n, privileged=privileged)])} for n in names),
        {"services": [service(n, n) for n in names]}, *network())


def previous(result: ScanResult) -> dict[str, Any]:
    return result_dict(result)


def test_the_same_scan_against_itself_is_all_unchanged() -> None:
    result = demo_result()
    compared = compare(result, previous_result(previous(result), "before.json"))
    every = compared.findings + compared.task_definition_findings
    assert {f.baseline for f in every} == {"unchanged"}
    assert compared.baseline is not None
    assert compared.baseline.resolved == () and compared.baseline.unverified == ()
    assert new_findings(compared, Severity.LOW) == []


def test_states_by_severity() -> None:
    result = estate("a", "b", "c")
    doc = previous(result)
    by_name = {f["resource"]["name"]: f for f in doc["findings"]}
    by_name["a"]["severity"] = "LOW"          # was lower: now worse
    by_name["b"]["severity"] = "CRITICAL"     # was higher: now better
    doc["findings"] = [f for f in doc["findings"] if f["resource"]["name"] != "c"]  # c is new
    gone = copy.deepcopy(by_name["a"])
    gone["id"] = "f" * 32
    gone["resource"]["arn"] = SERVICE.format("gone")
    gone["resource"]["name"] = "gone"
    doc["findings"].append(gone)
    compared = compare(result, previous_result(doc, "before.json"))
    states = {f.name: f.baseline for f in compared.findings}
    assert states == {"a": "worse", "b": "better", "c": "new"}
    worse = next(f for f in compared.findings if f.name == "a")
    assert worse.previous is not None and worse.previous.severity == Severity.LOW
    assert compared.baseline is not None
    assert [p.name for p in compared.baseline.resolved] == ["gone"]
    assert compared.baseline.source == "before.json"
    assert compared.baseline.generated_at == doc["generated_at"]


def test_fail_on_new_counts_what_crossed_the_threshold() -> None:
    result = estate("a", "b", "c")
    severity = Severity.MEDIUM         # privileged, not reachable: low × high
    assert {f.severity for f in result.findings} == {severity}
    doc = previous(result)
    by_name = {f["resource"]["name"]: f for f in doc["findings"]}
    by_name["a"]["severity"] = "LOW"                       # worse, from below the threshold
    doc["findings"] = [f for f in doc["findings"] if f["resource"]["name"] != "c"]   # new
    compared = compare(result, previous_result(doc, "before.json"))
    assert sorted(f.name for f in new_findings(compared, severity)) == ["a", "c"]
    assert new_findings(compared, Severity.HIGH) == []
    # worse but already at or above the threshold before: not new risk at that threshold
    assert sorted(f.name for f in new_findings(compared, Severity.LOW)) == ["c"]


def test_a_suppressed_finding_never_fails_the_new_gate() -> None:
    result = estate("a")
    compared = compare(result, previous_result(previous(estate("z")), "before.json"))
    assert [f.name for f in new_findings(compared, Severity.LOW)] == ["a"]
    muted = apply_suppressions(compared, [Suppression("known", resource=SERVICE.format("a"))],
                               date(2026, 1, 1))
    assert new_findings(muted, Severity.LOW) == []


def test_gone_findings_in_a_scope_that_could_not_be_read_are_unverified() -> None:
    before = previous(estate("a", "b"))
    now = estate("a")
    region_scope = "arn:aws:ecs:us-east-1:111122223333:cluster/*"
    for unread in (
            replace(now, incomplete=(Incomplete(SERVICE.format("b"), ("denied",)),)),
            replace(now, incomplete=(Incomplete(region_scope, ("denied",)),)),
            replace(now, incomplete=(Incomplete(
                "arn:aws:ecs:us-east-1:111122223333:cluster/prod", ("denied",)),)),
            replace(now, errors=(SourceError("aws", "AccessDenied", "111122223333",
                                             "us-east-1", "ecs:ListServices"),))):
        compared = compare(unread, previous_result(before, "before.json"))
        assert compared.baseline is not None
        assert [p.name for p in compared.baseline.unverified] == ["b"]
        assert compared.baseline.resolved == ()
    elsewhere = replace(now, incomplete=(Incomplete(
        "arn:aws:ecs:eu-west-1:111122223333:cluster/*", ("denied",)),
        Incomplete("arn:aws:ecs:us-east-1:111122223333:cluster/staging", ("denied",))))
    compared = compare(elsewhere, previous_result(before, "before.json"))
    assert compared.baseline is not None and [p.name for p in compared.baseline.resolved] == ["b"]


def test_the_json_result_carries_the_comparison() -> None:
    result = estate("a", "c")
    doc = previous(estate("a", "b"))
    doc["findings"][0]["traits"].append({"id": "host-network-mode"})
    compared = result_dict(compare(result, previous_result(doc, "before.json")))
    by_name = {f["resource"]["name"]: f for f in compared["findings"]}
    assert by_name["c"]["baseline"] == {"state": "new"}
    assert by_name["a"]["baseline"]["state"] == "unchanged"
    assert by_name["a"]["baseline"]["previous_severity"] == by_name["a"]["severity"]
    assert by_name["a"]["baseline"]["removed_traits"] == ["host-network-mode"]
    assert by_name["a"]["baseline"]["added_traits"] == []
    baseline = compared["baseline"]
    assert baseline["source"] == "before.json"
    assert baseline["counts"] == {"new": 1, "unchanged": 1, "worse": 0, "better": 0,
                                  "resolved": 1, "unverified": 0}
    [gone] = baseline["resolved"]
    assert gone["resource"]["name"] == "b" and gone["resource"]["arn"] == SERVICE.format("b")
    assert gone["severity"] == by_name["a"]["severity"] and gone["traits"]


# ---- identity -------------------------------------------------------------------------------

def _draft_ids(*tds: dict[str, Any]) -> list[str]:
    result = scan_docs(*({"taskDefinition": td} for td in tds))
    return [f.id for f in result.task_definition_findings]


def test_a_draft_task_definition_keeps_its_id_across_revisions() -> None:
    """Registering the fixed revision of a draft makes the same finding, not a new one."""
    privileged = [container(privileged=True)]
    [first] = _draft_ids(task_definition("tool", 3, privileged))
    [second] = _draft_ids(task_definition("tool", 4, privileged))
    assert first == second
    [other] = _draft_ids(task_definition("other", 3, privileged))
    assert other != first


def test_drafts_of_one_family_in_one_scan_are_told_apart() -> None:
    privileged = [container(privileged=True)]
    ids = _draft_ids(task_definition("tool", 3, privileged), task_definition("tool", 4, privileged))
    assert len(set(ids)) == 2
    unregistered = {k: v for k, v in task_definition("tool", 3, privileged).items()
                    if k not in ("taskDefinitionArn", "revision")}
    result = scan_docs({"taskDefinition": unregistered}, {"taskDefinition": unregistered})
    assert len({f.id for f in result.task_definition_findings}) == 2


def test_a_service_id_is_its_arn_whatever_revision_it_runs() -> None:
    one = scan_docs({"taskDefinition": task_definition("web", 1, [container(privileged=True)])},
                    {"services": [service("web", "web", 1)]})
    two = scan_docs({"taskDefinition": task_definition("web", 2, [container(privileged=True)])},
                    {"services": [service("web", "web", 2)]})
    assert [f.id for f in one.findings] == [f.id for f in two.findings]
