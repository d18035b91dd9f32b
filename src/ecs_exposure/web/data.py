"""The dashboard's own small reads over the store's schema: the newest scan, whether a scan
exists, and the posture filter choices. Lists, a finding, suppressions, posture pages and the
diff come from :mod:`ecs_exposure.store`; the overview's aggregates from :mod:`.summary`.
"""

from __future__ import annotations

from sqlalchemy import func, select

from ecs_exposure.errors import StoreError
from ecs_exposure.store.engine import Store
from ecs_exposure.store.schema import PostureRow, Scan


def latest_scan(store: Store) -> int | None:
    """The newest scan's id (``None`` for an empty store)."""
    with store.session() as session:
        return session.scalar(select(func.max(Scan.id)))


def posture_choices(store: Store, scan_id: int) -> dict[str, list[str]]:
    """Resource types and trait ids of a scan's posture (filter choices)."""
    with store.session() as session:
        types = list(session.scalars(select(PostureRow.resource_type)
                                     .where(PostureRow.scan_id == scan_id).distinct()
                                     .order_by(PostureRow.resource_type)))
        traits = session.scalars(select(PostureRow.traits)
                                 .where(PostureRow.scan_id == scan_id).distinct())
        return {"types": types, "traits": sorted({t for text in traits for t in text.split()})}


def require_scan(store: Store, scan_id: int) -> None:
    """:class:`StoreError` when the store holds no such scan."""
    with store.session() as session:
        if session.get(Scan, scan_id) is None:
            raise StoreError(f"store {store.name} holds no scan {scan_id}")
