"""Everything the detectors need to know about one role, computed once per scan."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ecs_exposure.analysis.iam.access import Access, effective_access
from ecs_exposure.analysis.iam.data_access import DataAccess, data_access
from ecs_exposure.analysis.iam.evaluate import Evaluator
from ecs_exposure.analysis.iam.grants import SourcedGrant, role_grants
from ecs_exposure.analysis.iam.paths import EscalationPath, PathFinder
from ecs_exposure.analysis.iam.principal import RolePolicies, role_policies
from ecs_exposure.inventory import Inventory
from ecs_exposure.model import Json

if TYPE_CHECKING:
    from ecs_exposure.settings import ScanMemo


@dataclass(frozen=True)
class RoleAnalysis:
    """The policies, coarse grants, effective access, escalation paths and data reach of a
    role."""

    policies: RolePolicies
    grants: tuple[SourcedGrant, ...]
    access: Access
    paths: tuple[EscalationPath, ...]
    """Empty for an administrative role: it has nothing left to escalate to."""
    data: tuple[DataAccess, ...] = ()
    """Kinds of data the role can read in full; empty for an administrative role, whose
    ``administrative-policy`` trait already says it can read everything."""

    @property
    def administrative(self) -> bool:
        """Unconditionally administrative after Deny-everything and the boundary."""
        return any(g.grant.kind == "admin" and not g.grant.conditional for g in self.grants)


def analyse_role(inventory: Inventory, role: Json, memo: ScanMemo) -> RoleAnalysis:
    """Analyse a role of the inputs (memoised per role ARN in the scan's ``memo``)."""
    table: dict[str, RoleAnalysis] = memo.table("iam.analysis")
    key = str(role.get("Arn"))
    if key not in table:
        policies = role_policies(inventory, role, memo)
        evaluator = Evaluator(policies)
        grants = tuple(role_grants(policies))
        admin = any(g.grant.kind == "admin" and not g.grant.conditional for g in grants)
        paths = () if admin else tuple(PathFinder(inventory, policies, memo, evaluator).paths())
        data = () if admin else data_access(evaluator)
        table[key] = RoleAnalysis(policies, grants, effective_access(evaluator), paths, data)
    return table[key]
