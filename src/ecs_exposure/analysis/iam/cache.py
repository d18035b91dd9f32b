"""Per-scan memo of IAM results, so a role shared by many task definitions is judged once.

Detectors run once per task definition, and a large estate has thousands of them sharing a
handful of roles; evaluating each role once keeps the scan linear. The memo is keyed by the
Inventory's identity (held weakly, dropped with it) rather than stored on it, so the
Inventory stays a plain model. It assumes, as the scan does, that the inventory is complete
before detectors run.
"""

from __future__ import annotations

from ecs_exposure.analysis.iam.grants import is_administrative
from ecs_exposure.analysis.iam.memo import memo
from ecs_exposure.analysis.iam.principal import role_policies
from ecs_exposure.inventory import Inventory
from ecs_exposure.model import Json

__all__ = ["administrative", "memo"]


def administrative(inventory: Inventory, role: Json) -> bool:
    """Is this role of the inputs administrative (unconditionally, after its boundary)?"""
    table: dict[str, bool] = memo(inventory).setdefault("administrative", {})
    arn = str(role.get("Arn"))
    if arn not in table:
        table[arn] = is_administrative(role_policies(inventory, role))
    return table[arn]
