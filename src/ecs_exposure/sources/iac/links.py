"""Cross-stack references: ``Fn::ImportValue`` resolved against the ``Export`` of another
template scanned in the same run.

Estates are usually split into stacks (a network stack exporting subnets, security groups and
a listener; a service stack importing them). Scanned alone, a service stack's imports are
*unknown* and its finding says what is missing; scanned together with the stack that exports
them, the values are linked and the service's real exposure is computed.

Export names often contain ``${AWS::StackName}``, which is unknown unless given with
``--parameters``; such a name matches an import whose name fits the same pattern, when exactly
one export fits. Linking is incremental and order-independent: every template added resolves
what earlier templates were waiting for, and its own imports if the exports are already known.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass, field
from typing import Any

from ecs_exposure.analysis.unknown import Unknown, is_unknown
from ecs_exposure.inventory import Inventory
from ecs_exposure.sources.iac.shapes import Built

_PLACEHOLDER = re.compile(r"\$\{[^}]*\}")


@dataclass
class _Pending:
    container: Any
    key: Any
    marker: Unknown


@dataclass
class _Export:
    name: str
    value: Any
    pattern: re.Pattern[str] | None


@dataclass
class LinkState:
    """Exports seen so far and imports still waiting, for one inventory."""

    exports: list[_Export] = field(default_factory=list)
    pending: list[_Pending] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)


_STATES: dict[int, LinkState] = {}


def state_for(inventory: Inventory) -> LinkState:
    """The link state of ``inventory``, dropped when the inventory is garbage collected."""
    ident = id(inventory)
    if ident not in _STATES:
        _STATES[ident] = LinkState()
        weakref.finalize(inventory, _STATES.pop, ident, None)
    return _STATES[ident]


def export(name: Any, value: Any) -> _Export | None:
    """An export, with a pattern when its name depends on unknown values."""
    if not isinstance(name, str) or is_unknown(value):
        return None
    if not is_unknown(name):
        return _Export(name, value, None)
    parts = _PLACEHOLDER.split(str(name))
    if len(parts) < 2 or not "".join(parts):
        return None
    return _Export(str(name), value, re.compile("(.+)".join(re.escape(p) for p in parts)))


def _waiting(value: Any, found: list[_Pending]) -> None:
    """Every import marker inside a built body, with the container holding it."""
    items = value.items() if isinstance(value, dict) else enumerate(value) \
        if isinstance(value, list) else ()
    for key, item in items:
        if is_unknown(item) and item.reference is not None:
            found.append(_Pending(value, key, item))
        elif isinstance(item, dict | list):
            _waiting(item, found)


def _lookup(state: LinkState, wanted: str) -> Any:
    exact = [e for e in state.exports if e.pattern is None and e.name == wanted]
    if exact:
        return exact[-1].value
    fitting = [e for e in state.exports if e.pattern is not None and e.pattern.fullmatch(wanted)]
    return fitting[0].value if len(fitting) == 1 else None


def register(inventory: Inventory, built: list[Built], exports: list[_Export],
             renamed: dict[str, str]) -> int:
    """Record a template's exports and imports, then link what can be; returns how many
    imports are still unresolved in the whole scan."""
    state = state_for(inventory)
    state.exports.extend(exports)
    state.renamed.update(renamed)
    for item in built:
        _waiting(item.body, state.pending)
    still: list[_Pending] = []
    for pending in state.pending:
        value = _lookup(state, str(pending.marker.reference))
        if value is not None and pending.marker.via == "listener-lb":
            listener = inventory.listeners.get(value) if isinstance(value, str) else None
            value = listener.get("LoadBalancerArn") if listener else None
        if value is None or is_unknown(value):
            still.append(pending)
            continue
        pending.container[pending.key] = state.renamed.get(value, value) \
            if isinstance(value, str) else value
    state.pending = still
    return len(still)
