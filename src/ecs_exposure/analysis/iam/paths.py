"""Finding the escalation and impact paths of a role: the patterns, matched step by step.

Each step of a pattern is answered by the evaluator for the step's candidate targets: the
role itself, "any resource of the type", or concrete resources from the inputs worth
reaching (administrative roles that trust the right service, exec-enabled services running
an administrative role, customer-managed policies attached to the role). A pattern is a path
when every step is allowed; it is *conditional* when any step is allowed only under a
condition the scan cannot decide.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING

from ecs_exposure.analysis.arn import last_segment, parse_arn
from ecs_exposure.analysis.iam.cache import administrative
from ecs_exposure.analysis.iam.catalog import PROBE
from ecs_exposure.analysis.iam.document import glob_match, strings
from ecs_exposure.analysis.iam.evaluate import ANY, SOME, Decision, Evaluator, Target
from ecs_exposure.analysis.iam.grants import analyse_document, is_administrative
from ecs_exposure.analysis.iam.managed import aws_managed_name
from ecs_exposure.analysis.iam.patterns import ACTIONS, PATTERNS, Pattern, Step
from ecs_exposure.analysis.iam.principal import RolePolicies
from ecs_exposure.inventory import Inventory, decode_policy_document
from ecs_exposure.model import Json, Level

if TYPE_CHECKING:
    from ecs_exposure.settings import ScanMemo


@dataclass(frozen=True)
class StepResult:
    """How one step is allowed."""

    step: Step
    action: str
    target: str
    """What the step acts on, in words (``any role that trusts lambda.amazonaws.com``)."""
    decision: Decision


@dataclass(frozen=True)
class EscalationPath:
    """One pattern the role can carry out, with the statements that allow it."""

    pattern: Pattern
    steps: tuple[StepResult, ...]
    reaches: str
    """What the path ends in (``role ops-admin (administrative)``)."""
    impact: Level
    conditional: bool
    notes: tuple[str, ...] = ()

    @property
    def actions(self) -> str:
        """``iam:PassRole + lambda:CreateFunction + lambda:InvokeFunction``."""
        return " + ".join(s.action for s in self.steps)


@dataclass(frozen=True)
class _Candidate:
    target: Target
    label: str
    admin: bool = False


def _trusts(role: Json, service: str | None, principals: set[str]) -> bool | None:
    """``True`` if the trust policy lets the principal in, ``None`` if only conditionally."""
    document = decode_policy_document(role.get("AssumeRolePolicyDocument"))
    statements = document.get("Statement") if document else None
    found: bool | None = False
    for st in statements if isinstance(statements, list) else [statements]:
        if not isinstance(st, dict) or st.get("Effect") != "Allow":
            continue
        if not any(glob_match(a, "sts:AssumeRole", ignore_case=True)
                   for a in strings(st.get("Action"))):
            continue
        principal = st.get("Principal")
        names: list[str] = []
        if principal == "*":
            names = ["*"]
        elif isinstance(principal, dict):
            names = strings(principal.get("Service" if service else "AWS"))
        wanted = {service} if service else principals | {"*"}
        if any(n in wanted for n in names):
            if "Condition" not in st:
                return True
            found = None
    return found


class PathFinder:
    """Matches every pattern against one role, with the inputs for concrete targets."""

    def __init__(self, inventory: Inventory, policies: RolePolicies, memo: ScanMemo,
                 evaluator: Evaluator | None = None) -> None:
        self.inventory = inventory
        self.policies = policies
        self.memo = memo
        """The scan's memo: other roles' verdicts are shared by every role's finder."""
        self.evaluator = evaluator or Evaluator(policies)
        self._admin_roles: list[Json] | None = None

    # ---- concrete targets from the inputs ------------------------------------------------

    def admin_roles(self) -> list[Json]:
        """Other roles in the inputs that are administrative (computed once per finder)."""
        if self._admin_roles is None:
            self._admin_roles = [
                role for arn, role in self.inventory.roles.items()
                if arn != self.policies.arn and administrative(self.inventory, role, self.memo)]
        return self._admin_roles

    def _trust(self, role: Json, service: str) -> bool | None:
        """Does a role trust a service (memoised: every role asks about the same few)?"""
        table: dict[tuple[str, str], bool | None] = self.memo.table("iam.trusts-service")
        key = (str(role.get("Arn")), service)
        if key not in table:
            table[key] = _trusts(role, service, set())
        return table[key]

    def _role_candidates(self, step: Step) -> Iterator[_Candidate]:
        """Administrative roles of the inputs first (the path is then demonstrably real),
        then "any role" for the roles the inputs do not show."""
        me = self.policies
        root = f"arn:{me.partition}:iam::{me.account}:root"
        assume = step.actions == ("sts:AssumeRole",)
        for role in self.admin_roles():
            arn = str(role.get("Arn"))
            name = str(role.get("RoleName") or last_segment(arn))
            if step.passed_to:
                trust = self._trust(role, step.passed_to)
            elif assume:
                trust = _trusts(role, None, {me.arn, root, me.account})
            else:
                trust = True
            if trust is not False:
                yield _Candidate(Target.of(arn), f"role {name} (administrative"
                                 + (", trust only under a Condition)" if trust is None else ")"),
                                 admin=True)
        if step.passed_to:
            yield _Candidate(ANY, f"any role that trusts {step.passed_to}")
        elif assume:
            yield _Candidate(ANY, "any role that trusts it or its account")
        else:
            yield _Candidate(ANY, "any role")

    def _policy_candidates(self, step: Step) -> Iterator[_Candidate]:
        setting_default = step.actions == ("iam:SetDefaultPolicyVersion",)
        for attached in self.policies_attached():
            name = last_segment(attached)
            policy = self.inventory.managed_policies.get(attached)
            if not setting_default:
                yield _Candidate(Target.of(attached), f"policy {name} attached to it")
                continue
            if policy is None:
                yield _Candidate(Target.of(attached), f"policy {name} attached to it (its "
                                 "other versions are not in the inputs)")
                continue
            for version in policy.get("PolicyVersionList") or ():
                if not isinstance(version, dict) or version.get("IsDefaultVersion"):
                    continue
                grants = analyse_document(decode_policy_document(version.get("Document")))
                if any(g.kind == "admin" for g in grants):
                    yield _Candidate(Target.of(attached), f"policy {name} attached to it "
                                     f"(version {version.get('VersionId')} is administrative)",
                                     admin=True)
                    break

    def policies_attached(self) -> list[str]:
        """Customer-managed policies attached to the role (AWS-managed ones cannot change)."""
        role = self.inventory.roles.get(self.policies.arn) or {}
        arns = [a.get("PolicyArn") for a in role.get("AttachedManagedPolicies") or ()
                if isinstance(a, dict)]
        return [a for a in arns if isinstance(a, str) and aws_managed_name(a) is None]

    def _exec_candidates(self) -> Iterator[_Candidate]:
        yield _Candidate(ANY, "any task with ECS Exec enabled")
        inv = self.inventory
        for key, service in inv.services.items():
            if service.get("enableExecuteCommand") is not True:
                continue
            cluster = service.get("clusterArn")
            arn = parse_arn(key)
            if not isinstance(cluster, str) or arn is None:
                continue
            roles = []
            for ref in inv.service_task_definition_refs(service):
                td_key = inv.resolve_task_definition(ref)
                role_ref = inv.task_definitions[td_key].get("taskRoleArn") if td_key else None
                role = inv.role(role_ref) if isinstance(role_ref, str) else None
                if role is not None:
                    roles.append(role)
            if any(r.get("Arn") == self.policies.arn for r in roles):
                continue  # a shell in a task holding the same role gains nothing
            admin_role = next((str(r.get("RoleName") or last_segment(str(r.get("Arn"))))
                               for r in roles if administrative(inv, r, self.memo)), None)
            name = str(service.get("serviceName") or last_segment(key))
            label = f"tasks of service {name}" + (
                f" (role {admin_role}, administrative)" if admin_role else "")
            task = f"arn:{arn.partition}:ecs:{arn.region}:{arn.account}:task/" \
                   f"{last_segment(cluster)}/{PROBE}"
            for target in (Target.of(cluster), Target.of(task)):
                yield _Candidate(target, label, admin=admin_role is not None)

    def _candidates(self, step: Step) -> Iterator[_Candidate]:
        kind = step.target
        if kind == "self":
            yield _Candidate(Target.of(self.policies.arn), "itself")
        elif kind == "any":
            yield _Candidate(ANY, "every resource")
        elif kind == "some":
            yield _Candidate(SOME, "a resource its policy allows")
        elif kind == "user":
            yield _Candidate(ANY, "any IAM user, administrators included")
        elif kind == "role":
            yield from self._role_candidates(step)
        elif kind == "policy":
            yield from self._policy_candidates(step)
        else:
            yield from self._exec_candidates()

    # ---- matching ------------------------------------------------------------------------

    def _step(self, step: Step) -> tuple[StepResult, bool] | None:
        """Best way to take one step, and whether it reaches something administrative."""
        context = {"iam:passedtoservice": (step.passed_to,)} if step.passed_to else {}
        if step.target in ("role", "exec", "policy") and not any(
                self.evaluator.decide(a, SOME, context).allowed for a in step.actions):
            return None  # not allowed on anything: skip gathering targets from the inputs
        best: tuple[StepResult, bool] | None = None
        for candidate in self._candidates(step):
            for action in step.actions:
                decision = self.evaluator.decide(action, candidate.target, context)
                if not decision.allowed:
                    continue
                result = (StepResult(step, action, candidate.label, decision), candidate.admin)
                if best is None or (decision.rank(), not candidate.admin) < (
                        best[0].decision.rank(), not best[1]):
                    best = result
                if not decision.conditional and (candidate.admin or step.target != "exec"):
                    return best  # an unconditional grant on the best kind of target
        return best

    def _path(self, pattern: Pattern) -> EscalationPath | None:
        if pattern.requires_boundary and self.policies.boundary is None:
            return None
        results: list[StepResult] = []
        admin_target = False
        for step in pattern.steps:
            found = self._step(step)
            if found is None:
                return None
            results.append(found[0])
            admin_target = admin_target or found[1]
        impact = pattern.impact
        reaches = pattern.gains
        notes: list[str] = []
        key = next((r for r in results if r.step.target in ("role", "exec", "policy", "user")),
                   None)
        if key is not None:
            reaches = f"{key.target} → {pattern.gains}"
        if pattern.outcome == "lateral" and admin_target:
            impact = Level.HIGH
            reaches = f"{key.target if key else reaches} → administrator access"
        if pattern.requires_boundary:
            unbounded = replace(self.policies, boundary=None)
            if is_administrative(unbounded):
                reaches = "its own policies without the boundary, which are administrative"
            else:
                impact = Level.MEDIUM
        conditional = any(r.decision.conditional for r in results)
        if pattern.id == "set-default-policy-version" and not admin_target:
            conditional = True
            notes.append("a path only if another version of the policy is broader")
        for result in results:
            notes.extend(result.decision.notes)
        return EscalationPath(pattern, tuple(results), reaches, impact, conditional,
                              tuple(dict.fromkeys(notes)))

    def paths(self) -> list[EscalationPath]:
        """Every pattern the role can carry out, strongest first (stable order)."""
        candidates = _possible_patterns(self.evaluator.allowable(ACTIONS))
        found = [p for pattern in candidates if (p := self._path(pattern)) is not None]
        return sorted(found, key=lambda p: (-p.impact, p.conditional))


@lru_cache(maxsize=4096)
def _possible_patterns(allowable: frozenset[str]) -> tuple[Pattern, ...]:
    """Patterns (in order) every step of which some identity Allow names an action of.

    Any other pattern fails without a single decision: an action no Allow names is denied
    on every target. Roles built alike name the same actions, so this is shared by them.
    """
    return tuple(pattern for pattern in PATTERNS
                 if all(not allowable.isdisjoint(step.actions) for step in pattern.steps))
