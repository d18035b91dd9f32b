"""A finding's fix as JSON Patch (``remediation.changes``): applied to the running revision by
an independent RFC 6902 implementation, it gives exactly the fixed revision ``fix`` writes."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

import jsonpatch
import orjson
import pytest

from ecs_exposure.remediation.fixed import _patch
from ecs_exposure.remediation.plan import base_task_definition
from ecs_exposure.remediation.register_input import to_register_input
from ecs_exposure.sources.load import demo_paths, load_inputs
from support.report_inputs import demo_context, demo_result


def test_changes_turn_every_running_revision_into_its_fixed_revision() -> None:
    with ExitStack() as stack:
        inventory, _ = load_inputs(demo_paths(stack))
    context = demo_context()
    checked = 0
    for finding in demo_result().findings + demo_result().task_definition_findings:
        changes = context.fix_changes(finding)
        fixed = context.fixed_task_definition(finding)
        assert (changes is None) == (fixed is None), finding.name
        if changes is None:
            continue
        key = base_task_definition(inventory, finding)
        assert key is not None
        running = to_register_input(inventory.task_definitions[key])[0]
        assert jsonpatch.apply_patch(running, changes) == fixed, finding.name
        checked += 1
    assert checked >= 5


def test_a_moved_credential_is_never_in_the_changes() -> None:
    """payments-api's plaintext DB_PASSWORD moves to secrets: the changes remove the
    environment entry by index and add the secret reference; the value is nowhere."""
    finding = next(f for f in demo_result().findings if f.name == "payments-api")
    changes = demo_context().fix_changes(finding)
    assert changes is not None
    text = orjson.dumps(changes).decode()
    assert {"op": "remove", "path": "/containerDefinitions/0/environment/4"} in changes
    assert all(c["op"] in {"add", "remove", "replace"} for c in changes)
    assert "valueFrom" in text and "S3cure-Passw0rd" not in text and "sk_live" not in text


@pytest.mark.parametrize("before,after,expected", [
    ({"a": 1}, {"a": 1}, []),
    ({"a": 1, "b": True}, {"a": 1}, [{"op": "remove", "path": "/b"}]),
    ({"a": 1}, {"a": 2, "c/d~": 3}, [{"op": "replace", "path": "/a", "value": 2},
                                      {"op": "add", "path": "/c~1d~0", "value": 3}]),
    ({"l": [1, 2, 3, 4]}, {"l": [1, 3]}, [{"op": "remove", "path": "/l/3"},
                                         {"op": "remove", "path": "/l/1"}]),
    ({"l": [1]}, {"l": [1, 2]}, [{"op": "add", "path": "/l/-", "value": 2}]),
    ({"l": [1, 2]}, {"l": [3]}, [{"op": "replace", "path": "/l", "value": [3]}]),
    ({"l": [{"x": 1}]}, {"l": [{"x": 2}]}, [{"op": "replace", "path": "/l/0/x", "value": 2}]),
    ({"a": 1}, {"a": True}, [{"op": "replace", "path": "/a", "value": True}]),
])
def test_patch_is_small_and_reviewable(before: dict[str, Any], after: dict[str, Any],
                                       expected: list[dict[str, Any]]) -> None:
    patch = _patch(before, after)
    assert patch == expected
    assert jsonpatch.apply_patch(before, patch) == after
