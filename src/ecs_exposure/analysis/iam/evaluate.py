"""Does a role's set of policies allow one action on one resource?

The single-account evaluation logic of IAM for identity-based policies: an explicit Deny
anywhere wins; otherwise an Allow in an identity policy is needed and, when the role has a
permissions boundary, an Allow in the boundary too. Conditions the scan cannot decide do not
drop a grant: the decision is *conditional* and says which condition. Resource-based
policies, SCPs and session policies are out of scope (the inputs do not hold them), which
errs towards reporting a path that an SCP might block — stated in every finding's evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ecs_exposure.analysis.iam.catalog import PROBE, load
from ecs_exposure.analysis.iam.conditions import Context, Truth, evaluate
from ecs_exposure.analysis.iam.document import Statement, glob_match
from ecs_exposure.analysis.iam.principal import Cited, RolePolicies


@dataclass(frozen=True)
class Target:
    """Which resource a question is about.

    ``arn`` asks about one resource; ``any`` about every resource of the action's types
    (does the grant reach *all* secrets?); ``some`` about at least one resource (creating a
    Lambda function named ``report-*`` is as good as any name to an attacker).
    """

    kind: str
    arn: str = ""

    @classmethod
    def of(cls, arn: str) -> Target:
        """One resource by ARN."""
        return cls("arn", arn)


ANY = Target("any")
SOME = Target("some")


@dataclass(frozen=True)
class Decision:
    """The answer for one action on one target, with the statements behind it."""

    allowed: bool
    conditional: bool = False
    grants: tuple[Cited, ...] = ()
    """Identity-policy Allow statements, unconditional ones first."""
    boundary: tuple[Cited, ...] = ()
    """Permissions-boundary Allow statements that let it through."""
    denied_by: tuple[Cited, ...] = ()
    notes: tuple[str, ...] = ()

    def rank(self) -> int:
        """Orders decisions: unconditional allow, conditional allow, anything else."""
        return 0 if self.allowed and not self.conditional else 1 if self.allowed else 2


DENIED = Decision(False)


@lru_cache(maxsize=65536)
def covers_any(pattern: str, action: str, account: str, partition: str) -> bool:
    """Does a ``Resource`` pattern cover every resource of the action's types in the account?

    Each resource type's ARN format (from the catalog) is filled with names nobody uses; a
    pattern that still matches is not scoped by name. The region is not held against a
    pattern: every secret of one region is every secret an attacker needs.
    """
    if pattern == "*":
        return True
    probes = load().probes(action)
    if not probes:
        return glob_match(pattern, "*")
    parts = pattern.split(":", 5)
    for probe in probes:
        if len(parts) != 6:
            region = f"{PROBE}-region" if probe.has_region else ""
            owner = account or PROBE if probe.has_account else ""
            full = f"arn:{partition}:{probe.service}:{region}:{owner}:{probe.resource}"
            if glob_match(pattern, full):
                return True
            continue
        _, part, service, region, owner, resource = parts
        if not (glob_match(part, partition) and glob_match(service, probe.service)):
            continue
        if not probe.has_region and not glob_match(region, ""):
            continue
        if not glob_match(owner, (account or PROBE) if probe.has_account else ""):
            continue
        if glob_match(resource, probe.resource):
            return True
    return False


def _undefined_for_roles(pattern: str) -> bool:
    """``${aws:username}`` does not exist in a role session, so a pattern using it matches
    nothing (the common "manage your own access keys" statement is harmless on a role)."""
    return "${aws:username}" in pattern.lower()


@lru_cache(maxsize=16384)
def _role_patterns(resources: tuple[str, ...]) -> tuple[str, ...]:
    """The patterns of a ``Resource`` list that can match in a role session (per list: many
    statements repeat the same one, and every decision asks)."""
    return tuple(p for p in resources if not _undefined_for_roles(p))


@lru_cache(maxsize=65536)
def _covers_every(patterns: tuple[str, ...], action: str, account: str, partition: str) -> bool:
    """Does any pattern of a ``Resource`` list cover every resource of the action's types?
    (Per list: shared policies put the same list in front of every role.)"""
    return any(covers_any(p, action, account, partition) for p in patterns)


_Lists = tuple[tuple[Cited, ...], tuple[Cited, ...], tuple[Cited, ...]]


def describe_condition(statement: Statement) -> str:
    """``StringEquals aws:SourceVpc`` — enough to find the condition, none of its values."""
    parts: list[str] = []
    for operator, clauses in (statement.condition or {}).items():
        keys = ", ".join(str(k) for k in clauses) if isinstance(clauses, dict) else "?"
        parts.append(f"{operator} {keys}")
    if statement.uses_variables:
        parts.append("a policy variable in Resource")
    return "; ".join(parts)


def _context_key(context: Context | None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """A hashable stand-in for a request context (the decision memo's key)."""
    return tuple(sorted(context.items())) if context else ()


class Evaluator:
    """Answers questions about one role; build once per role, ask many times."""

    def __init__(self, policies: RolePolicies) -> None:
        self.policies = policies
        self.identity = tuple(c for s in policies.identity for c in s.cited)
        bound = policies.boundary
        self.boundary: tuple[Cited, ...] | None = None
        if bound is not None and bound.document is not None:
            self.boundary = bound.cited
        self._lists: dict[str, _Lists] = {}
        self._decisions: dict[tuple[str, Target, tuple[tuple[str, tuple[str, ...]], ...]],
                              Decision] = {}

    def allowable(self, actions: frozenset[str]) -> frozenset[str]:
        """The members of ``actions`` some identity Allow statement names: any other action
        is denied whatever the target, so callers can skip it without asking ``decide``."""
        found: frozenset[str] = frozenset()
        for cited in self.identity:
            if cited.statement.effect == "Allow":
                found |= cited.statement.matching_actions(actions)
        return found

    def _statements_for(self, action: str) -> _Lists:
        """Identity Allows, Denies (identity then boundary) and boundary Allows that name
        the action, in policy order: every decision about the action reads only these."""
        lists = self._lists.get(action)
        if lists is None:
            allows: list[Cited] = []
            denies: list[Cited] = []
            bound_allows: list[Cited] = []
            for cited in self.identity:
                if cited.statement.matches_action(action):
                    (allows if cited.statement.effect == "Allow" else denies).append(cited)
            for cited in self.boundary or ():
                if cited.statement.matches_action(action):
                    (bound_allows if cited.statement.effect == "Allow" else denies).append(cited)
            lists = (tuple(allows), tuple(denies), tuple(bound_allows))
            self._lists[action] = lists
        return lists

    # ---- resource coverage ---------------------------------------------------------------

    def _covers(self, statement: Statement, action: str, target: Target) -> bool:
        """Does an Allow statement reach the target?"""
        patterns = _role_patterns(statement.resources)
        if target.kind == "arn":
            hit = any(glob_match(p, target.arn) for p in patterns)
        elif target.kind == "any":
            policies = self.policies
            hit = _covers_every(patterns, action, policies.account, policies.partition)
            if statement.not_resource:
                return not hit
        else:
            if statement.not_resource:
                return not any(p == "*" for p in patterns)
            return bool(patterns)
        return hit != statement.not_resource

    def _deny_reach(self, statement: Statement, action: str, target: Target) -> str:
        """``full`` when a Deny blocks the whole target, ``partial`` for part of it."""
        if target.kind == "arn":
            return "full" if self._covers(statement, action, target) else "none"
        everything = any(self._any(p, action) for p in statement.resources)
        if statement.not_resource:
            return "partial" if not everything else "none"
        if everything:
            return "full"
        return "partial" if statement.resources else "none"

    def _any(self, pattern: str, action: str) -> bool:
        return covers_any(pattern, action, self.policies.account, self.policies.partition)

    @staticmethod
    def _truth(statement: Statement, context: Context) -> Truth:
        truth = evaluate(statement.condition, context)
        if truth is Truth.TRUE and statement.uses_variables:
            return Truth.UNKNOWN
        return truth

    # ---- the decision --------------------------------------------------------------------

    def decide(self, action: str, target: Target, context: Context | None = None) -> Decision:
        """Allow, conditional allow, or not — for one concrete action.

        Remembered per question: the path finder asks the same ones across patterns (every
        ``iam:PassRole`` step to Lambda, every admin role as a candidate target).
        """
        key = (action, target, _context_key(context))
        decision = self._decisions.get(key)
        if decision is None:
            decision = self._decide(action, target, context or {})
            self._decisions[key] = decision
        return decision

    def _decide(self, action: str, target: Target, context: Context) -> Decision:
        identity_allows, denies, bound_allows = self._statements_for(action)
        allows: list[tuple[Cited, Truth]] = []
        for cited in identity_allows:
            st = cited.statement
            if self._covers(st, action, target):
                truth = self._truth(st, context)
                if truth is not Truth.FALSE:
                    allows.append((cited, truth))
        if not allows:
            return DENIED
        notes: list[str] = []
        soft = False
        hard: list[Cited] = []
        for cited in denies:
            st = cited.statement
            reach = self._deny_reach(st, action, target)
            truth = self._truth(st, context)
            if reach == "none" or truth is Truth.FALSE:
                continue
            if reach == "full" and truth is Truth.TRUE:
                hard.append(cited)
            elif reach == "full":
                soft = True
                notes.append(f"a Deny under a Condition ({describe_condition(st)}) may block "
                             f"it: {cited.describe()}")
            else:
                notes.append(f"except the resources denied by {cited.describe()}")
        if hard:
            return Decision(False, denied_by=tuple(hard))
        boundary_allows: list[tuple[Cited, Truth]] = []
        if self.boundary is not None:
            for cited in bound_allows:
                st = cited.statement
                if self._covers(st, action, target):
                    truth = self._truth(st, context)
                    if truth is not Truth.FALSE:
                        boundary_allows.append((cited, truth))
            if not boundary_allows:
                bound = self.policies.boundary
                label = bound.label if bound else "permissions boundary"
                return Decision(False, notes=(f"not allowed by {label}",))
        allows.sort(key=lambda pair: pair[1] is not Truth.TRUE)
        boundary_allows.sort(key=lambda pair: pair[1] is not Truth.TRUE)
        conditional = soft or allows[0][1] is Truth.UNKNOWN or bool(
            boundary_allows and boundary_allows[0][1] is Truth.UNKNOWN)
        first_statement = allows[0][0].statement
        if target.kind == "any" and first_statement.not_resource:
            notes.append(f"except {', '.join(first_statement.resources)} (NotResource of "
                         f"{allows[0][0].describe()})")
        if allows[0][1] is Truth.UNKNOWN:
            first = allows[0][0]
            notes.insert(0, f"only under a Condition ({describe_condition(first.statement)}) "
                            f"of {first.describe()}")
        if boundary_allows and boundary_allows[0][1] is Truth.UNKNOWN:
            first = boundary_allows[0][0]
            notes.append(f"the permissions boundary allows it only under a Condition "
                         f"({describe_condition(first.statement)})")
        return Decision(True, conditional, tuple(c for c, _ in allows),
                        tuple(c for c, _ in boundary_allows), (), tuple(notes))
