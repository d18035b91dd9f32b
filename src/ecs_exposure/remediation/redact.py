"""Remove credential values from a task definition before anything is written or diffed.

Fix plans are files people commit, paste and share; the secret must never reach them. The
same detector that finds credentials decides what to redact, so the two cannot disagree.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from ecs_exposure.detectors.credentials import plaintext_credentials
from ecs_exposure.detectors.registry import Context
from ecs_exposure.inventory import Inventory
from ecs_exposure.model import Json, Trait
from ecs_exposure.settings import ScanMemo, ScanSettings


@cache
def _no_inventory() -> Inventory:
    """The detector needs no joins; an empty inventory is built once (it is not cheap, and
    nothing writes to it)."""
    return Inventory()


def credential_traits(td: Json, memo: ScanMemo | None = None) -> list[Trait]:
    """Plaintext-credential traits of a task definition, computed without any context;
    ``memo`` is a scan's memo, whose verdict on each value it has seen is reused. The
    credential detector reads no setting, so default settings do."""
    context = Context(_no_inventory(), "task-definition", td, None, settings=ScanSettings(),
                      memo=ScanMemo() if memo is None else memo)
    return list(plaintext_credentials(context))


def _parent(doc: Any, parts: list[str]) -> Any:
    for part in parts:
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc


def redact(td: Json, marker: str = "REDACTED") -> tuple[Json, list[Trait]]:
    """A copy of ``td`` with every detected credential replaced by a marker and its hash."""
    clean = copy.deepcopy(td)
    found = credential_traits(clean)
    for trait in found:
        parts = [t.replace("~1", "/").replace("~0", "~") for t in trait.pointer.split("/")[1:]]
        fingerprint = dict(trait.extra).get("fingerprint", "")
        replacement = f"[{marker} {fingerprint}]"
        parent = _parent(clean, parts[:-1])
        last = parts[-1]
        if isinstance(parent, list):
            target = parent[int(last)]
            if isinstance(target, dict) and "value" in target:  # environment entry
                target["value"] = replacement
            else:
                parent[int(last)] = replacement
        else:
            parent[last] = replacement
    return clean, found
