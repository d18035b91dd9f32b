"""IAM results kept in the scan's memo, so a role shared by many task definitions is judged
once.

Detectors run once per task definition, and a large estate has thousands of them sharing a
handful of roles; evaluating each role once keeps the scan linear. The memo is the scan's
(:class:`ecs_exposure.settings.ScanMemo`), passed in rather than kept on the Inventory, so the
Inventory stays a plain model. It assumes, as the scan does, that the inventory is complete
before detectors run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ecs_exposure.analysis.iam.grants import is_administrative
from ecs_exposure.analysis.iam.principal import role_policies
from ecs_exposure.inventory import Inventory
from ecs_exposure.model import Json

if TYPE_CHECKING:
    from ecs_exposure.settings import ScanMemo

__all__ = ["administrative"]


def administrative(inventory: Inventory, role: Json, memo: ScanMemo) -> bool:
    """Is this role of the inputs administrative (unconditionally, after its boundary)?"""
    table: dict[str, bool] = memo.table("iam.administrative")
    arn = str(role.get("Arn"))
    if arn not in table:
        table[arn] = is_administrative(role_policies(inventory, role, memo))
    return table[arn]
