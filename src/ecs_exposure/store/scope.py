"""Which accounts and regions a scan covered: the scope whose findings it may resolve.

From the inventory (every service, task definition and cluster read, by ARN) when the caller
has it, and always from the result itself (every finding's and posture entry's account and
region), so a scan whose fix removed the last finding of a region still covers that region as
long as any resource of it was read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ecs_exposure.analysis.arn import parse_arn
from ecs_exposure.inventory import Inventory
from ecs_exposure.store.lifecycle import Scope


def inventory_scope(inventory: Inventory) -> set[Scope]:
    """``(account, region)`` of every service, task definition and cluster the scan read
    (``(None, None)`` for those read without an ARN)."""
    found: set[Scope] = set()
    for key in (*inventory.services, *inventory.task_definitions, *inventory.clusters):
        arn = parse_arn(key)
        found.add((arn.account or None, arn.region or None) if arn else (None, None))
    return found


def document_scope(document: Mapping[str, Any]) -> set[Scope]:
    """``(account, region)`` of every finding and posture entry of a JSON result."""
    found: set[Scope] = set()
    for member in ("findings", "task_definition_findings", "posture"):
        for item in document.get(member) or ():
            resource = item.get("resource") or {}
            found.add((resource.get("account"), resource.get("region")))
    return found


def accounts_and_regions(scope: Iterable[Scope]) -> tuple[list[str], list[str]]:
    """The distinct accounts and regions of a scope, sorted."""
    pairs = list(scope)
    return (sorted({a for a, _ in pairs if a}), sorted({r for _, r in pairs if r}))
