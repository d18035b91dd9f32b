"""Answers that parse but do not account for what was asked (issue 20, item 2): ids left out
of a describe, listed under ``failures``, a body cut short, a revision that comes back empty,
a listing that never ends. Each is an error for the ids it lost, those resources are listed as
incomplete, and nothing lost is read as clean."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ecs_exposure.inventory import Inventory
from ecs_exposure.model import Json
from ecs_exposure.sources.aws import paging
from ecs_exposure.sources.aws.collector import collect
from ecs_exposure.sources.aws.options import CollectOptions
from ecs_exposure.sources.aws.snapshot import load_snapshot
from ecs_exposure.sources.readers import read_context
from support.aws_fixtures import ACCOUNT, Estate, Fault, Faults
from support.builders import scan_json

STOREFRONT = f"arn:aws:ecs:us-east-1:{ACCOUNT}:service/prod/storefront"
CLEAN = f"arn:aws:ecs:eu-west-1:{ACCOUNT}:service/edge/clean-api"


def scan(snapshot: Json) -> dict[str, Any]:
    inventory = Inventory()
    load_snapshot(inventory, snapshot, None, read_context())
    return scan_json(inventory)


def edit(change: Any) -> Any:
    """An answer rewriter: moto's JSON body, changed in place by ``change``."""
    def answer(body: bytes) -> bytes:
        doc = json.loads(body)
        change(doc)
        return json.dumps(doc).encode()
    return answer


def describe_errors(snapshot: Json, operation: str) -> list[Json]:
    return [e for e in snapshot["errors"] if e["operation"] == operation]


def test_a_service_left_out_of_describe_services_is_an_error_and_incomplete(
        aws_estate: Estate, aws_env: dict[str, str], aws_faults: Faults) -> None:
    def drop_storefront(doc: Json) -> None:
        doc["services"] = [s for s in doc["services"] if s["serviceArn"] != STOREFRONT]
    aws_faults.add(Fault("", service="ecs", operation="DescribeServices", region="us-east-1",
                         answer=edit(drop_storefront)))
    snapshot = collect(CollectOptions(regions=("us-east-1",)))
    errors = describe_errors(snapshot, "ecs:DescribeServices")
    assert len(errors) == 1 and errors[0]["region"] == "us-east-1"
    assert f"{STOREFRONT} (absent from the answer)" in errors[0]["message"]
    incomplete = {i["resource"]: i["reasons"] for i in scan(snapshot)["incomplete"]}
    assert incomplete[STOREFRONT] == [
        "the service's description could not be read (ecs:DescribeServices: UnreadableAnswer)"]


def test_a_service_listed_under_failures_is_an_error_with_the_reason(
        aws_estate: Estate, aws_env: dict[str, str], aws_faults: Faults) -> None:
    def fail_storefront(doc: Json) -> None:
        doc["services"] = [s for s in doc["services"] if s["serviceArn"] != STOREFRONT]
        doc["failures"] = [{"arn": STOREFRONT, "reason": "MISSING"}]
    aws_faults.add(Fault("", service="ecs", operation="DescribeServices", region="us-east-1",
                         answer=edit(fail_storefront)))
    snapshot = collect(CollectOptions(regions=("us-east-1",)))
    [error] = describe_errors(snapshot, "ecs:DescribeServices")
    assert f"{STOREFRONT} (listed under failures: MISSING)" in error["message"]
    assert STOREFRONT in {i["resource"] for i in scan(snapshot)["incomplete"]}


def test_a_truncated_describe_services_body_loses_nothing_silently(
        aws_estate: Estate, aws_env: dict[str, str], aws_faults: Faults) -> None:
    aws_faults.add(Fault("", service="ecs", operation="DescribeServices", region="us-east-1",
                         answer=lambda body: body[:len(body) // 2]))
    snapshot = collect(CollectOptions(regions=("us-east-1",)))
    assert describe_errors(snapshot, "ecs:DescribeServices")
    incomplete = {i["resource"] for i in scan(snapshot)["incomplete"]}
    for name in ("prod/storefront", "prod/public-api", "prod/node-agent", "batch/reports"):
        assert f"arn:aws:ecs:us-east-1:{ACCOUNT}:service/{name}" in incomplete


def test_an_empty_task_definition_answer_is_an_error_and_the_service_is_assessed_unknown(
        aws_estate: Estate, aws_env: dict[str, str], aws_faults: Faults) -> None:
    aws_faults.add(Fault("", service="ecs", operation="DescribeTaskDefinition",
                         region="eu-west-1", answer=lambda body: b"{}"))
    snapshot = collect(CollectOptions(regions=("eu-west-1",)))
    errors = describe_errors(snapshot, "ecs:DescribeTaskDefinition")
    assert errors and all("the answer holds no task definition" in e["message"]
                          for e in errors)
    result = scan(snapshot)
    incomplete = {i["resource"]: i["reasons"] for i in result["incomplete"]}
    assert "ecs:DescribeTaskDefinition: UnreadableAnswer" in incomplete[CLEAN][0]
    clean = next(f for f in result["findings"] if f["resource"]["arn"] == CLEAN)
    assert clean["impact"] == "high" and clean["incomplete"] == incomplete[CLEAN]
    assert any(m.startswith("task definition clean-api") for m in clean["missing"])


@pytest.mark.parametrize("tokens", ["new every time", "repeating"])
def test_a_listing_that_never_ends_is_stopped_and_reported(
        aws_estate: Estate, aws_env: dict[str, str], aws_faults: Faults,
        monkeypatch: pytest.MonkeyPatch, tokens: str) -> None:
    monkeypatch.setattr(paging, "MAX_PAGES", 5)
    issued = iter(range(10**6))
    cycle = 10**6 if tokens == "new every time" else 2      # A, B, A, B… escapes botocore

    def endless(doc: Json) -> None:
        doc["nextToken"] = f"token-{next(issued) % cycle}"
    aws_faults.add(Fault("", service="ecs", operation="ListServices", region="us-east-1",
                         answer=edit(endless)))
    aws_estate.server.reset_log()
    snapshot = collect(CollectOptions(regions=("us-east-1",)))
    errors = describe_errors(snapshot, "ecs:ListServices")
    assert errors and all("UnreadableAnswer" in e["message"] for e in errors)
    calls = [r for r in aws_estate.server.requests if r.operation == "ListServices"]
    assert len(calls) <= 5 * len(errors)
    incomplete = {i["resource"] for i in scan(snapshot)["incomplete"]}
    assert f"arn:aws:ecs:us-east-1:{ACCOUNT}:cluster/prod" in incomplete
