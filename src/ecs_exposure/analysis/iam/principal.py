"""The policies that make up a role's permissions, with where each statement sits.

Every statement carries its evidence location: an inline policy lives in the role
(``/RolePolicyList/0/PolicyDocument/Statement/1``), a customer-managed policy in its own
entry (``/PolicyVersionList/1/Document/Statement/0`` of the policy ARN), and an AWS-managed
policy known only from the bundled copy is cited by the role's attachment
(``/AttachedManagedPolicies/2``) plus the statement number inside the copy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

from ecs_exposure.analysis.arn import last_segment, parse_arn
from ecs_exposure.analysis.iam.document import Statement, parse_statements
from ecs_exposure.analysis.iam.managed import bundled
from ecs_exposure.analysis.shapes import as_list
from ecs_exposure.inventory import Inventory, decode_policy_document
from ecs_exposure.model import Json

if TYPE_CHECKING:
    from ecs_exposure.settings import ScanMemo

T = TypeVar("T")


@dataclass(frozen=True)
class PolicySource:
    """One policy document of a role, and where to cite it."""

    label: str
    """How evidence names it: ``inline policy deploy``, ``managed policy payments-read``."""
    resource: str
    """ARN of the resource holding the evidence (the role, or the managed policy)."""
    prefix: str
    """JSON pointer of the document inside ``resource`` (for a bundled copy: the
    attachment on the role)."""
    document: Json | None
    bundled: bool = False
    statements: tuple[Statement, ...] = field(default=(), compare=False)
    _derived: dict[str, Any] = field(default_factory=dict, init=False, compare=False,
                                     repr=False)

    def derived(self, key: str, build: Callable[[PolicySource], T]) -> T:
        """``build(self)``, computed once per source: a managed policy's source is shared by
        every role it is attached to, so what depends only on it is worked out once."""
        if key not in self._derived:
            self._derived[key] = build(self)
        result: T = self._derived[key]
        return result

    @property
    def cited(self) -> tuple[Cited, ...]:
        """Its statements, each with this source (built once)."""
        return self.derived("cited", lambda me: tuple(Cited(me, st) for st in me.statements))

    @classmethod
    def of(cls, label: str, resource: str, prefix: str, document: Json | None,
           bundled: bool = False) -> PolicySource:
        """Parse the document once, here."""
        return cls(label, resource, prefix, document, bundled,
                   tuple(parse_statements(document)))

    def pointer(self, statement: Statement) -> str:
        """Evidence pointer of one statement, inside ``resource``."""
        return self.prefix if self.bundled else self.prefix + statement.pointer

    def cite(self, statement: Statement) -> str:
        """``inline policy deploy /Statement/0`` — a statement as a person looks it up."""
        where = f"statement {statement.pointer.removeprefix('/Statement/')} of the bundled copy" \
            if self.bundled else statement.pointer
        return f"{self.label} {where}"


@dataclass(frozen=True)
class Cited:
    """A statement together with the policy it came from."""

    source: PolicySource
    statement: Statement

    @property
    def pointer(self) -> str:
        """Evidence pointer inside ``source.resource``."""
        return self.source.pointer(self.statement)

    def describe(self) -> str:
        """Policy and statement, for evidence text."""
        return self.source.cite(self.statement)


@dataclass(frozen=True)
class RolePolicies:
    """Everything that decides what one role may do."""

    arn: str
    name: str
    account: str
    partition: str
    identity: tuple[PolicySource, ...]
    boundary: PolicySource | None
    """The permissions boundary, when the role has one (its document may be unknown)."""
    unknown: tuple[str, ...] = ()
    """Attached or boundary policy ARNs whose documents are in neither the inputs nor the
    bundle: their grants cannot be judged."""


def _managed_source(inventory: Inventory, arn: str, label_prefix: str,
                    attachment: str, role_arn: str, memo: ScanMemo) -> PolicySource | None:
    """A managed policy: its document from the inputs, else the bundled copy."""
    source = _customer_source(inventory, arn, label_prefix, memo)
    if source is not None:
        return source
    copy = bundled(arn)
    if copy is not None:
        return PolicySource(
            f"{label_prefix} {copy.name} (AWS-managed, bundled copy of {copy.version})",
            role_arn, attachment, copy.document, True, _bundled_statements(copy.name))
    return None


def _customer_source(inventory: Inventory, arn: str, label_prefix: str,
                     memo: ScanMemo) -> PolicySource | None:
    """A managed policy whose document the inputs hold, parsed once per scan (``memo``): it
    does not depend on the role, and a team policy is attached to hundreds of them."""
    table: dict[tuple[str, str], PolicySource | None] = memo.table("iam.managed-sources")
    key = (arn, label_prefix)
    if key not in table:
        table[key] = _read_customer_source(inventory, arn, label_prefix)
    return table[key]


def _read_customer_source(inventory: Inventory, arn: str,
                          label_prefix: str) -> PolicySource | None:
    document = inventory.policy_document(arn)
    if document is None:
        return None
    policy = inventory.managed_policies[arn]
    versions = as_list(policy.get("PolicyVersionList"))
    index = next((i for i, v in enumerate(versions) if isinstance(v, dict)
                  and decode_policy_document(v.get("Document")) == document), 0)
    name = policy.get("PolicyName") or last_segment(arn)
    return PolicySource.of(f"{label_prefix} {name}", arn,
                           f"/PolicyVersionList/{index}/Document", document)


@cache
def _bundled_statements(name: str) -> tuple[Statement, ...]:
    """Statements of a bundled AWS-managed policy, parsed once per process (the bundle is
    read-only data)."""
    copy = bundled(f"arn:aws:iam::aws:policy/{name}")
    return tuple(parse_statements(copy.document if copy else None))


def role_policies(inventory: Inventory, role: Json, memo: ScanMemo) -> RolePolicies:
    """Inline, customer-managed and AWS-managed policies of a role, and its boundary
    (customer-managed documents parsed once per scan: ``memo``)."""
    arn = str(role.get("Arn") or "")
    parsed = parse_arn(arn)
    name = str(role.get("RoleName") or last_segment(arn))
    identity: list[PolicySource] = []
    unknown: list[str] = []
    for index, inline in enumerate(as_list(role.get("RolePolicyList"))):
        if isinstance(inline, dict):
            identity.append(PolicySource.of(
                f"inline policy {inline.get('PolicyName', index)}", arn,
                f"/RolePolicyList/{index}/PolicyDocument",
                decode_policy_document(inline.get("PolicyDocument"))))
    for index, attached in enumerate(as_list(role.get("AttachedManagedPolicies"))):
        if not isinstance(attached, dict) or not isinstance(attached.get("PolicyArn"), str):
            continue
        policy_arn = attached["PolicyArn"]
        source = _managed_source(inventory, policy_arn, "managed policy",
                                 f"/AttachedManagedPolicies/{index}", arn, memo)
        if source is None:
            unknown.append(policy_arn)
        else:
            identity.append(source)
    boundary: PolicySource | None = None
    spec = role.get("PermissionsBoundary")
    if isinstance(spec, dict) and isinstance(spec.get("PermissionsBoundaryArn"), str):
        boundary_arn = spec["PermissionsBoundaryArn"]
        boundary = _managed_source(inventory, boundary_arn, "permissions boundary",
                                   "/PermissionsBoundary/PermissionsBoundaryArn", arn, memo)
        if boundary is None:
            unknown.append(boundary_arn)
            boundary = PolicySource.of(f"permissions boundary {last_segment(boundary_arn)}",
                                       arn, "/PermissionsBoundary/PermissionsBoundaryArn", None)
    return RolePolicies(
        arn=arn, name=name, account=parsed.account if parsed else "",
        partition=parsed.partition if parsed else "aws",
        identity=tuple(identity), boundary=boundary, unknown=tuple(unknown))
