"""Suppressions: what a rule matches, when a finding counts as suppressed, expiry and use."""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

from ecs_exposure.exposure.assess import makes_finding
from ecs_exposure.exposure.suppressions import apply_suppressions, open_findings
from ecs_exposure.model import Finding, PostureEntry, ScanResult, Suppression
from ecs_exposure.reporters.json_report import result_dict
from support.builders import (
    container,
    network,
    scan_docs,
    security_group,
    service,
    task_definition,
    tcp,
)

TODAY = date(2026, 11, 28)
STOREFRONT = "arn:aws:ecs:us-east-1:111122223333:service/prod/storefront"
WORKER = "arn:aws:ecs:us-east-1:111122223333:service/prod/worker"
JOB_IMAGE = "public.ecr.aws/acme/job@sha256:" + "a" * 64


@cache
def estate() -> ScanResult:
    """storefront: internet-reachable through sg-1, privileged, nginx from Docker Hub;
    worker: private, privileged, a pinned image from public ECR; a draft task definition."""
    return scan_docs(
        {"taskDefinition": task_definition("web", containers=[container("web", privileged=True)])},
        {"taskDefinition": task_definition("batch", containers=[
            container("job", privileged=True, image=JOB_IMAGE)])},
        {"taskDefinition": task_definition("draft", revision=4, containers=[
            container("tool", privileged=True)])},
        {"services": [service("storefront", "web", public_ip=True),
                      service("worker", "batch", groups=("sg-2",), subnets=("subnet-priv",))]},
        {"SecurityGroups": [security_group("sg-1", tcp(80)), security_group("sg-2")]},
        *network())


def rule(reason: str = "accepted", **selectors: Any) -> Suppression:
    return Suppression(reason=reason, pointer="/suppressions/0", source=".ecs-exposure.yaml",
                       line=2, **selectors)


def suppress(*rules: Suppression, today: date = TODAY) -> ScanResult:
    return apply_suppressions(estate(), rules, today)


def finding(result: ScanResult, arn: str) -> Finding:
    return next(f for f in result.findings + result.task_definition_findings if f.arn == arn)


def suppressed_traits(found: Finding) -> set[str]:
    return {t.id for i, t in enumerate(found.traits) if found.trait_suppression(i)}


def test_the_estate_is_what_the_tests_assume() -> None:
    store = finding(estate(), STOREFRONT)
    assert {"privileged-container", "open-security-group", "internet-reachable",
            "untrusted-registry"} <= {t.id for t in store.traits}
    assert store.status == "open" and not store.trait_suppressions
    assert len(estate().task_definition_findings) == 1


def test_a_rule_without_trait_suppresses_the_whole_finding() -> None:
    accepted = rule(resource="arn:aws:ecs:*:*:service/prod/worker")
    result = suppress(accepted)
    worker = finding(result, WORKER)
    assert worker.status == "suppressed" and worker.suppressed_by == (accepted,)
    assert suppressed_traits(worker) == {t.id for t in worker.traits}
    assert finding(result, STOREFRONT).status == "open"
    [use] = result.suppressions
    assert (use.state, use.findings, use.traits) == ("used", 1, len(worker.traits))
    assert worker not in open_findings(result)
    assert len(open_findings(result)) == 2


def test_a_trait_rule_marks_the_trait_and_leaves_the_finding_open() -> None:
    """The issue's example: an open security group fronted by a WAF. The privileged container
    behind it is still an exposure, so the finding stays open at its full severity."""
    accepted = rule(resource="arn:aws:ecs:*:*:service/prod/storefront",
                    traits=("open-security-group",))
    result = suppress(accepted)
    store = finding(result, STOREFRONT)
    assert store.status == "open" and store.suppressed_by == ()
    assert suppressed_traits(store) == {"open-security-group"}
    assert store.severity == finding(estate(), STOREFRONT).severity
    assert store in open_findings(result)
    [use] = result.suppressions
    # the trait in the finding, and the same weakness on the service's posture entry
    assert (use.state, use.findings, use.traits) == ("used", 0, 2)


def test_a_finding_is_suppressed_once_every_trait_that_makes_one_is() -> None:
    store = finding(estate(), STOREFRONT)
    makers = sorted({t.id for t in store.traits if makes_finding(t)})
    first = rule(traits=tuple(makers[:1]), resource=STOREFRONT)
    rest = Suppression(reason="the rest", pointer="/suppressions/1", traits=tuple(makers[1:]),
                       resource=STOREFRONT)
    assert finding(suppress(first), STOREFRONT).status == "open"
    suppressed = finding(suppress(first, rest), STOREFRONT)
    assert suppressed.status == "suppressed" and suppressed.suppressed_by == (first, rest)
    # contextual traits (image hygiene) need not be suppressed for the finding to be
    assert suppressed_traits(suppressed) == set(makers)


def test_contextual_traits_alone_never_suppress_a_finding() -> None:
    result = suppress(rule(traits=("unverified-signature",)))
    assert all(f.status == "open" for f in result.findings)
    [use] = result.suppressions
    # three findings and the posture entries of the three task definitions
    assert use.state == "used" and use.findings == 0 and use.traits == 6


def test_the_resource_glob_also_matches_the_resource_carrying_the_trait() -> None:
    result = suppress(rule(resource="*:security-group/sg-1"))
    store = finding(result, STOREFRONT)
    assert suppressed_traits(store) == {"open-security-group"} and store.status == "open"


def test_image_selector_matches_the_image_as_written_or_as_registry_repository() -> None:
    by_repository = suppress(rule(image="docker.io/library/nginx"))
    assert suppressed_traits(finding(by_repository, STOREFRONT)) == {
        t.id for t in finding(estate(), STOREFRONT).traits if dict(t.extra).get("image")}
    by_glob = suppress(rule(image="public.ecr.aws/acme/*"))
    worker = finding(by_glob, WORKER)
    assert suppressed_traits(worker) and "privileged-container" not in suppressed_traits(worker)
    assert worker.status == "open"          # the image rule does not cover privileged
    assert not suppressed_traits(finding(by_glob, STOREFRONT))


def test_id_account_region_and_cluster_selectors() -> None:
    worker_id = finding(estate(), WORKER).id
    by_id = suppress(rule(id=worker_id))
    assert [f.arn for f in by_id.findings if f.status == "suppressed"] == [WORKER]
    everything = suppress(rule(account="1111*", region="us-east-1", cluster="prod"))
    assert all(f.status == "suppressed" for f in everything.findings)
    # a draft task definition has no cluster: a cluster rule does not reach it
    assert everything.task_definition_findings[0].status == "open"
    elsewhere = suppress(rule(region="eu-*"))
    assert all(f.status == "open" and not f.trait_suppressions for f in elsewhere.findings)
    assert elsewhere.suppressions[0].state == "unused"


def test_a_draft_task_definition_is_suppressed_by_its_arn() -> None:
    result = suppress(rule(resource="*:task-definition/draft:*"))
    [draft] = result.task_definition_findings
    assert draft.status == "suppressed"


def test_an_expired_rule_suppresses_nothing_and_is_reported() -> None:
    expiring = rule(resource=WORKER, expires=date(2026, 11, 28), reason="until the migration")
    assert finding(suppress(expiring), WORKER).status == "suppressed"   # the day itself counts
    result = suppress(expiring, today=date(2026, 11, 29))
    assert finding(result, WORKER).status == "open"
    assert result.suppressions[0].state == "expired"
    [error] = [e for e in result.errors if e.source == ".ecs-exposure.yaml"]
    assert "suppression /suppressions/0 (.ecs-exposure.yaml:2)" in error.message
    assert "expired on 2026-11-28" in error.message and "until the migration" in error.message


def test_unused_rules_are_listed() -> None:
    result = suppress(rule(resource=WORKER), rule(resource="arn:aws:ecs:*:*:service/gone/*"))
    assert [u.state for u in result.suppressions] == ["used", "unused"]


def posture(result: ScanResult, arn: str) -> PostureEntry:
    return next(e for e in result.posture if e.arn == arn)


def test_posture_entries_are_matched_with_their_own_resource() -> None:
    """A rule naming the service suppresses the service's own weaknesses; its task
    definition's entry (which other services may run) takes a rule naming the task
    definition, which also marks those traits in the finding."""
    web = "arn:aws:ecs:us-east-1:111122223333:task-definition/web:1"
    by_service = suppress(rule(resource=STOREFRONT))
    own = posture(by_service, STOREFRONT)
    assert own.status == "suppressed" and all(own.trait_suppressions)
    assert posture(by_service, web).status == "open"
    by_task_definition = suppress(rule(resource="*:task-definition/web:*"))
    entry = posture(by_task_definition, web)
    assert entry.status == "suppressed"
    store = finding(by_task_definition, STOREFRONT)
    assert suppressed_traits(store) == {t.id for t in entry.traits}
    assert store.status == "open"          # reachability and the open group remain
    one = suppress(rule(resource=web, traits=("privileged-container",)))
    partly = posture(one, web)
    assert partly.status == "open"
    assert [t.id for i, t in enumerate(partly.traits) if partly.trait_suppression(i)] == [
        "privileged-container"]


def test_the_json_posture_marks_status() -> None:
    doc = result_dict(suppress(rule(resource=STOREFRONT, traits=("public-ip",))))
    [entry] = [e for e in doc["posture"] if e["resource"]["arn"] == STOREFRONT]
    assert entry["status"] == "open"
    states = {t["id"]: t["status"] for t in entry["traits"]}
    assert states == {"public-ip": "suppressed", "open-security-group": "open",
                      "internet-reachable": "open"}
    [public] = [t for t in entry["traits"] if t["id"] == "public-ip"]
    assert public["suppressed_by"]["match"] == {"resource": STOREFRONT, "trait": ["public-ip"]}
    assert doc["summary"]["open"]["posture_traits"] == doc["summary"]["posture"]["traits"] - 1


def test_no_rules_leave_the_result_as_it_was() -> None:
    assert apply_suppressions(estate(), (), TODAY) is estate()


def test_the_json_result_marks_status_and_lists_rules() -> None:
    accepted = Suppression(reason="fronted by a WAF", pointer="/suppressions/0",
                           source=".ecs-exposure.yaml", line=2, owner="platform-team",
                           expires=date(2027, 3, 31), resource=STOREFRONT,
                           traits=("open-security-group",))
    whole = Suppression(reason="batch is being retired", pointer="/suppressions/1",
                        resource=WORKER)
    unused = Suppression(reason="old", pointer="/suppressions/2", cluster="legacy")
    doc = result_dict(apply_suppressions(estate(), (accepted, whole, unused), TODAY))
    by_arn = {f["resource"]["arn"]: f for f in doc["findings"]}
    store, worker = by_arn[STOREFRONT], by_arn[WORKER]
    assert store["status"] == "open" and store["suppressed_by"] == []
    [sg] = [t for t in store["traits"] if t["id"] == "open-security-group"]
    assert sg["status"] == "suppressed"
    assert sg["suppressed_by"] == {
        "pointer": "/suppressions/0", "source": ".ecs-exposure.yaml", "line": 2,
        "reason": "fronted by a WAF", "owner": "platform-team", "expires": "2027-03-31",
        "match": {"resource": STOREFRONT, "trait": ["open-security-group"]}}
    assert all(t["status"] == "open" for t in store["traits"] if t["id"] != sg["id"])
    assert worker["status"] == "suppressed"
    assert [r["reason"] for r in worker["suppressed_by"]] == ["batch is being retired"]
    assert doc["summary"]["findings"] == 2
    assert doc["summary"]["open"]["findings"] == 1
    assert doc["summary"]["open"]["task_definition_findings"] == 1
    assert sum(doc["summary"]["open"]["by_severity"].values()) == 1
    assert [(r["pointer"], r["state"], r["matched"]) for r in doc["suppressions"]] == [
        ("/suppressions/0", "used", {"findings": 0, "traits": 2}),
        ("/suppressions/1", "used", {"findings": 1, "traits": len(worker["traits"])}),
        ("/suppressions/2", "unused", {"findings": 0, "traits": 0})]


def test_without_rules_every_finding_and_trait_is_open_in_json() -> None:
    doc = result_dict(estate())
    assert doc["suppressions"] == [] and doc["baseline"] is None
    for entry in doc["findings"] + doc["task_definition_findings"]:
        assert entry["status"] == "open" and entry["suppressed_by"] == []
        assert "baseline" not in entry
        assert all(t["status"] == "open" and "suppressed_by" not in t for t in entry["traits"])
