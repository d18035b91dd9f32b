"""Store suppressions as the scan applies them: the same :class:`Suppression` rules as the
config file's, each naming one finding id, so one engine
(:mod:`ecs_exposure.exposure.suppressions`) marks findings, reports expired rules and keeps
suppressed findings out of ``--fail-on``, whichever place the rule came from."""

from __future__ import annotations

from ecs_exposure.model import Suppression
from ecs_exposure.store.engine import Store
from ecs_exposure.store.queries import suppressions


def store_rules(store: Store) -> tuple[Suppression, ...]:
    """Every store suppression as a rule on its finding id; the pointer says where it is
    (``/store/suppressions/<id>``) and the source is the store, without its password."""
    return tuple(
        Suppression(reason=s.reason, pointer=f"/store/suppressions/{s.finding_id}",
                    source=store.name, owner=s.owner, expires=s.expires, id=s.finding_id)
        for s in suppressions(store))
