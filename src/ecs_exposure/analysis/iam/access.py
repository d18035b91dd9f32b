"""Effective actions of a role, by access level: the catalog expands every wildcard.

This is the resource-agnostic view ("which actions can it perform on at least one
resource"): identity Allows, minus actions denied unconditionally on every resource, within
the boundary's Allows. It tells a reader at a glance whether a role only reads or can write
and manage permissions, which ``Action`` lists full of wildcards hide.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ecs_exposure.analysis.iam.catalog import load
from ecs_exposure.analysis.iam.document import Statement
from ecs_exposure.analysis.iam.evaluate import Evaluator
from ecs_exposure.analysis.iam.principal import PolicySource

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


Signature = tuple[tuple[str, tuple[str, ...], bool, bool, bool, bool], ...]


def _signature(statements: tuple[Statement, ...]) -> Signature:
    """What effective access depends on: roles with the same policies share one result."""
    return tuple((s.effect, s.actions, s.not_action,
                  s.not_resource or bool(s.resources),
                  s.condition is None and not s.uses_variables,
                  s.not_resource or "*" not in s.resources) for s in statements)


def _source_signature(source: PolicySource) -> Signature:
    return _signature(source.statements)


def effective_access(evaluator: Evaluator) -> Access:
    """Expand every statement of the role and classify the result by access level."""
    policies = evaluator.policies
    identity: Signature = ()
    for source in policies.identity:  # the statements of evaluator.identity, in order
        identity += source.derived("access-signature", _source_signature)
    boundary = None
    if evaluator.boundary is not None and policies.boundary is not None:
        boundary = policies.boundary.derived("access-signature", _source_signature)
    return _access(identity, boundary)


@lru_cache(maxsize=1024)
def _access(identity: Signature, boundary: Signature | None) -> Access:
    catalog = load()

    def expand(entry: tuple[str, tuple[str, ...], bool, bool, bool, bool]) -> frozenset[str]:
        return catalog.expand_all(entry[1], negated=entry[2])

    certain: set[str] = set()
    conditional: set[str] = set()
    denied: set[str] = set()
    for entry in identity + (boundary or ()):
        effect, _, _, _, unconditional, scoped = entry
        if effect == "Deny" and unconditional and not scoped:
            denied |= expand(entry)
    for entry in identity:
        effect, _, _, some_resource, unconditional, _ = entry
        if effect != "Allow" or not some_resource:
            continue
        (certain if unconditional else conditional).update(expand(entry))
    if boundary is not None:
        bound: set[str] = set()
        for entry in boundary:
            if entry[0] == "Allow":
                bound |= expand(entry)
        certain &= bound
        conditional &= bound
    certain -= denied
    conditional -= denied | certain
    return Access(catalog.levels(certain), catalog.levels(conditional), len(catalog))
