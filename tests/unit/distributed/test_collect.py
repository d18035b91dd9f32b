"""Merging shards: the in-process collection's snapshot, failures resolved across units."""

from __future__ import annotations

from ecs_exposure.distributed.collect import merge
from ecs_exposure.distributed.units import UNIT_KEY, incomplete_of
from ecs_exposure.model import SourceError
from ecs_exposure.sources.aws import snapshot

SERVICE = "arn:aws:ecs:us-east-1:111122223333:service/c/web"
ROLE = "IAM role arn:aws:iam::111122223333:role/task"


def unit(accounts: dict[str, object], meta: dict[str, object],
         errors: tuple[SourceError, ...] = (), calls: int = 1) -> dict[str, object]:
    doc = snapshot.build(accounts, scope={}, errors=list(errors), incomplete={},
                         calls={"ecs:ListClusters": calls}, generated_at="t")
    doc[UNIT_KEY] = {"failed": {}, "scopes": {}, "dependencies": {}, **meta}
    return doc


def test_a_dependency_failed_in_another_unit_marks_the_service_incomplete() -> None:
    region = unit({"111122223333": {"regions": {"us-east-1": {"ecs": {}}}}},
                  {"dependencies": {SERVICE: ["cluster c", ROLE]}})
    iam = unit({}, {"failed": {ROLE: f"{ROLE} could not be read (iam:GetRole: AccessDenied)"}},
               [SourceError("aws:111122223333", "iam:GetRole failed", "111122223333", None,
                            "iam:GetRole")])
    merged = merge([region, iam], scope={"accounts": ["111122223333"]}, generated_at="t",
                   driver_calls={"sts:GetCallerIdentity": 1})
    assert merged["incomplete"] == [{"resource": SERVICE, "reasons": [
        f"{ROLE} could not be read (iam:GetRole: AccessDenied)"]}]
    assert merged["api_calls"] == {"total": 3, "by_action": {"ecs:ListClusters": 2,
                                                             "sts:GetCallerIdentity": 1}}
    assert merged["accounts"] == {"111122223333": {"regions": {"us-east-1": {"ecs": {}}}}}
    assert [e["operation"] for e in merged["errors"]] == ["iam:GetRole"]


def test_scopes_that_could_not_be_read_stay_incomplete() -> None:
    scope = "arn:aws:ecs:eu-west-1:111122223333:cluster/*"
    assert incomplete_of({scope: ["down"]}, {}, {SERVICE: ["cluster c"]}) == {scope: ["down"]}
