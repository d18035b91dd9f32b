"""Administrative and service-admin grants: the coarse view of a role's power.

A statement allowing ``*`` (or ``iam:*``, or everything but a short ``NotAction`` list) on
every resource is administrative; ``<service>:*`` on every resource is service-admin. A
permissions boundary caps what any grant can reach, so a grant is kept only as far as the
boundary allows it too: AdministratorAccess under an ``s3:*`` boundary is service-admin for
S3, under a boundary with no such grant it is nothing. Finer questions (may it pass a role
to Lambda?) are the evaluator's job; this view feeds ``administrative-policy`` and
``service-admin-policy`` and tells the path finder which roles are worth reaching.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, Literal

from ecs_exposure.analysis.iam.document import Statement, parse_statements, strings
from ecs_exposure.analysis.iam.principal import PolicySource, RolePolicies

GrantKind = Literal["admin", "service-admin"]

_SERVICE_WILDCARD = re.compile(r"^([a-z0-9-]+):\*$")


@dataclass(frozen=True)
class Grant:
    """One statement that grants admin or service-admin power."""

    kind: GrantKind
    pointer: str
    """JSON pointer to the statement inside the policy document."""
    detail: str
    services: tuple[str, ...] = ()
    conditional: bool = False


def _all_resources(statement: Statement) -> bool:
    if statement.not_resource:
        return "*" not in statement.resources  # "everything except …" is effectively everything
    return "*" in statement.resources


def statement_grant(statement: Statement) -> Grant | None:
    """The admin or service-admin grant of one statement, if it has one."""
    if statement.effect != "Allow" or not _all_resources(statement):
        return None
    conditional = statement.condition is not None
    pointer = statement.pointer
    if statement.not_action:
        excluded = ", ".join(statement.actions) or "nothing"
        return Grant("admin", pointer, f"allows every action except {excluded} on all "
                     "resources (NotAction)", conditional=conditional)
    if any(a in ("*", "*:*") for a in statement.actions):
        return Grant("admin", pointer, "allows Action * on Resource *", conditional=conditional)
    services = sorted({m.group(1) for a in statement.actions
                       if (m := _SERVICE_WILDCARD.match(a.lower()))})
    if "iam" in services:
        return Grant("admin", pointer, "allows iam:* on Resource *, enough to grant itself "
                     "anything", services=("iam",), conditional=conditional)
    if services:
        return Grant("service-admin", pointer,
                     f"allows {', '.join(s + ':*' for s in services)} on Resource *",
                     services=tuple(services), conditional=conditional)
    return None


def analyse_document(document: Any) -> list[Grant]:
    """Admin and service-admin grants in one policy document."""
    return [g for s in parse_statements(document) if (g := statement_grant(s)) is not None]


def denies_everything(document: Any) -> bool:
    """An unconditional ``Deny *`` on ``*`` cancels every Allow of the role."""
    return _denies_everything(parse_statements(document))


def _denies_everything(statements: Iterable[Statement]) -> bool:
    """``denies_everything`` on statements already parsed (a role's sources hold them)."""
    return any(
        s.effect == "Deny" and s.condition is None and not s.not_action
        and not s.not_resource
        and any(a in ("*", "*:*") for a in s.actions) and "*" in s.resources
        for s in statements
    )


def _bounded(grant: Grant, boundary: list[Grant], label: str) -> Grant | None:
    """What is left of a grant under a boundary's own grants."""
    if any(b.kind == "admin" for b in boundary):
        return grant
    reachable = {s for b in boundary for s in b.services}
    wanted = reachable if grant.kind == "admin" else set(grant.services) & reachable
    if not wanted:
        return None
    services = tuple(sorted(wanted))
    return replace(grant, kind="service-admin", services=services,
                   detail=f"{grant.detail}, limited by {label} to "
                          + ", ".join(s + ":*" for s in services))


@dataclass(frozen=True)
class SourcedGrant:
    """A grant and the policy it is in."""

    source: PolicySource
    grant: Grant

    @property
    def pointer(self) -> str:
        """Evidence pointer inside ``source.resource``."""
        if self.source.bundled:
            return self.source.prefix
        return self.source.prefix + self.grant.pointer


def _source_facts(source: PolicySource) -> tuple[bool, tuple[str, ...],
                                                 tuple[tuple[Statement, Grant], ...]]:
    """What ``role_grants`` reads from one policy, whichever role it is attached to: does it
    deny everything, its unconditional Deny-on-``*`` citations, and its own grants."""
    denials = tuple(source.cite(st) for st in source.statements
                    if st.effect == "Deny" and st.condition is None and "*" in st.resources
                    and not st.not_resource)
    grants = tuple((st, g) for st in source.statements if (g := statement_grant(st)) is not None)
    return _denies_everything(source.statements), denials, grants


def _facts(source: PolicySource) -> tuple[bool, tuple[str, ...],
                                          tuple[tuple[Statement, Grant], ...]]:
    return source.derived("grant-facts", _source_facts)


def role_grants(policies: RolePolicies) -> list[SourcedGrant]:
    """Admin and service-admin grants of a role, after Deny-everything and its boundary."""
    boundary = policies.boundary
    sources = list(policies.identity) + ([boundary] if boundary is not None else [])
    if any(_facts(source)[0] for source in sources):
        return []
    limits: list[Grant] | None = None
    if boundary is not None and boundary.document is not None:
        limits = [g for _, g in _facts(boundary)[2]]
    denials = [cite for source in sources for cite in _facts(source)[1]]
    found: list[SourcedGrant] = []
    for source in policies.identity:
        for _, own in _facts(source)[2]:
            grant: Grant | None = own
            if limits is not None and boundary is not None:
                grant = _bounded(own, limits, boundary.label)
            if grant is not None and denials:
                grant = replace(grant, detail=f"{grant.detail} (less what "
                                f"{'; '.join(denials[:2])} denies)")
            if grant is not None:
                found.append(SourcedGrant(source, grant))
    return found


def is_administrative(policies: RolePolicies) -> bool:
    """Does the role hold an unconditional administrative grant?"""
    return any(g.grant.kind == "admin" and not g.grant.conditional
               for g in role_grants(policies))


__all__ = ["Grant", "GrantKind", "SourcedGrant", "analyse_document", "denies_everything",
           "is_administrative", "role_grants", "statement_grant", "strings"]
