"""The per-scan memo of IAM results, keyed by the Inventory
(see :mod:`ecs_exposure.analysis.iam.cache`).

On its own so that the modules ``cache`` builds on (``principal``) can memoise too.
"""

from __future__ import annotations

import weakref
from typing import Any

from ecs_exposure.inventory import Inventory

_MEMOS: dict[int, tuple[weakref.ref[Inventory], dict[str, Any]]] = {}


def memo(inventory: Inventory) -> dict[str, Any]:
    """The memo of one inventory (created on first use)."""
    key = id(inventory)
    entry = _MEMOS.get(key)
    if entry is None or entry[0]() is not inventory:
        ref = weakref.ref(inventory, lambda _: _MEMOS.pop(key, None))
        entry = (ref, {})
        _MEMOS[key] = entry
    return entry[1]
