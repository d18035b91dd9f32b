"""Effective actions of a role, by access level: the catalog expands every wildcard.

This is the resource-agnostic view ("which actions can it perform on at least one
resource"): identity Allows, minus actions denied unconditionally on every resource, within
the boundary's Allows. It tells a reader at a glance whether a role only reads or can write
and manage permissions, which ``Action`` lists full of wildcards hide.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ecs_exposure.iam.catalog import load
from ecs_exposure.iam.document import Statement
from ecs_exposure.iam.evaluate import Evaluator

LEVELS = ("List", "Read", "Write", "Permissions management", "Tagging")


@dataclass(frozen=True)
class Access:
    """Counts of effective actions per access level."""

    certain: dict[str, int]
    """Actions allowed without any condition."""
    conditional: dict[str, int]
    """Further actions allowed only under a condition."""
    total: int
    """Actions in the catalog, for scale."""

    def describe(self) -> str:
        """``allows 12 Write and 3 Permissions management actions`` (empty when nothing)."""
        parts = [f"{self.certain[level]} {level}" for level in LEVELS if self.certain.get(level)]
        text = ""
        if sum(self.certain.values()) >= self.total:
            text = f"allows every action in the catalog ({self.total})"
        elif parts:
            text = "allows " + (parts[0] if len(parts) == 1
                                else ", ".join(parts[:-1]) + " and " + parts[-1]) + " actions"
        extra = sum(self.conditional.values())
        if extra:
            text += ("; " if text else "") + f"{extra} more only under a Condition"
        return text

    @property
    def writes(self) -> bool:
        """Can it change anything (Write or Permissions management)?"""
        return bool(self.certain.get("Write") or self.certain.get("Permissions management"))


def _expand(statement: Statement) -> frozenset[str]:
    return load().expand_all(statement.actions, negated=statement.not_action)


def effective_access(evaluator: Evaluator) -> Access:
    """Expand every statement of the role and classify the result by access level."""
    catalog = load()
    certain: set[str] = set()
    conditional: set[str] = set()
    denied: set[str] = set()
    for cited in evaluator.identity + (evaluator.boundary or ()):
        st = cited.statement
        if st.effect == "Deny" and st.condition is None and not st.not_resource \
                and "*" in st.resources:
            denied |= _expand(st)
    for cited in evaluator.identity:
        st = cited.statement
        if st.effect != "Allow" or (not st.resources and not st.not_resource):
            continue
        actions = _expand(st)
        if st.condition is None and not st.uses_variables:
            certain |= actions
        else:
            conditional |= actions
    if evaluator.boundary is not None:
        bound: set[str] = set()
        for cited in evaluator.boundary:
            if cited.statement.effect == "Allow":
                bound |= _expand(cited.statement)
        certain &= bound
        conditional &= bound
    certain -= denied
    conditional -= denied | certain

    def count(names: set[str]) -> dict[str, int]:
        levels: Counter[str] = Counter()
        for name in names:
            info = catalog.get(name)
            levels[info.access_level if info else "Unknown"] += 1
        return dict(levels)

    return Access(count(certain), count(conditional), len(catalog))
