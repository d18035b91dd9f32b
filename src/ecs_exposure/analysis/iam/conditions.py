"""Condition blocks: evaluated where the analysis knows the key's value, otherwise unknown.

Most condition keys (source IP, MFA, tags, time) describe the request, which a static scan
cannot know: a grant under such a condition is *conditional* — reported, flagged, never
dropped. A few keys are fixed by the escalation step itself: passing a role to Lambda always
sends ``iam:PassedToService = lambda.amazonaws.com``. Evaluating those is what separates
``iam:PassRole`` limited to ECS tasks (no Lambda path) from an unrestricted one.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

from ecs_exposure.analysis.iam.document import glob_match, strings


class Truth(Enum):
    """Three-valued result: a condition the scan cannot decide is UNKNOWN, not true."""

    TRUE = "true"
    FALSE = "false"
    UNKNOWN = "unknown"


Context = Mapping[str, tuple[str, ...]]
"""Known request values by lower-cased condition key."""

_STRING_TESTS = {
    "stringequals": (False, False),
    "stringlike": (True, False),
    "stringequalsignorecase": (False, True),
}
"""Operator → (wildcards allowed, ignore case)."""


def _test(base: str, expected: list[str], actual: tuple[str, ...]) -> bool | None:
    """One operator on one key; ``None`` for operators the scan does not evaluate."""
    negated = base.startswith("stringnot")
    positive = base.replace("stringnot", "string", 1) if negated else base
    if positive not in _STRING_TESTS:
        return None
    wildcards, fold = _STRING_TESTS[positive]

    def one(value: str) -> bool:
        if wildcards:
            return any(glob_match(e, value, ignore_case=fold) for e in expected)
        if fold:
            return any(e.lower() == value.lower() for e in expected)
        return value in expected

    hit = any(one(value) for value in actual)
    return not hit if negated else hit


def evaluate(condition: Mapping[str, Any] | None, context: Context) -> Truth:
    """All operators and keys of a block must hold (IAM ANDs them)."""
    if not condition:
        return Truth.TRUE
    result = Truth.TRUE
    for operator, clauses in condition.items():
        if not isinstance(operator, str) or not isinstance(clauses, dict):
            result = Truth.UNKNOWN
            continue
        op = operator.lower()
        if_exists = op.endswith("ifexists")
        op = op.removesuffix("ifexists")
        qualifier, _, base = op.rpartition(":")
        for key, raw in clauses.items():
            actual = context.get(str(key).lower())
            if actual is None:
                result = Truth.UNKNOWN
                continue
            if qualifier not in ("", "foranyvalue", "forallvalues"):
                result = Truth.UNKNOWN
                continue
            verdict = _test(base, strings(raw), actual)
            if verdict is None:
                result = Truth.UNKNOWN
            elif not verdict and not (if_exists and not actual):
                return Truth.FALSE
    return result
