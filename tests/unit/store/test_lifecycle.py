"""The lifecycle rules as pure functions."""

from __future__ import annotations

from ecs_exposure.store.lifecycle import Known, present_state, resolved, unread

ARN = "arn:aws:ecs:eu-west-1:111122223333:service/prod/web"
WEB = Known("w", "active", ARN, "111122223333", "eu-west-1")


def test_present_states() -> None:
    assert [present_state(p) for p in (None, "new", "active", "regressed", "resolved")] == [
        "new", "active", "active", "active", "regressed"]


def test_only_open_identities_in_scope_and_read_whole_resolve() -> None:
    scope = {("111122223333", "eu-west-1")}
    gone = Known("g", "new", ARN.replace("web", "api"), "111122223333", "eu-west-1")
    done = Known("d", "resolved", ARN.replace("web", "old"), "111122223333", "eu-west-1")
    away = Known("a", "active", ARN, "444455556666", "eu-west-1")
    assert resolved([WEB, gone, done, away], {"w"}, scope, [], []) == ["g"]


def test_an_error_in_another_region_leaves_the_scope_readable() -> None:
    error = {"source": "aws", "message": "denied", "account": "111122223333",
             "region": "us-east-1"}
    assert not unread(WEB, [], [error])
    assert unread(WEB, [], [{**error, "region": None}])
    assert not unread(WEB, [{"resource": "not an arn", "reasons": []}], [])
