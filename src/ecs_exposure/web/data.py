"""The dashboard's own read queries over the store's schema: the newest scan, and the posture
list paginated in SQL. The findings list, a finding, suppressions and the diff come from
:mod:`ecs_exposure.store`; the overview's aggregates from :mod:`.summary`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Text, cast, func, select

from ecs_exposure.errors import StoreError
from ecs_exposure.model import Severity
from ecs_exposure.store.engine import Store
from ecs_exposure.store.queries import Page
from ecs_exposure.store.schema import PostureRow, Scan


def latest_scan(store: Store) -> int | None:
    """The newest scan's id (``None`` for an empty store)."""
    with store.session() as session:
        return session.scalar(select(func.max(Scan.id)))


@dataclass(frozen=True)
class PostureFilter:
    """What :func:`posture` keeps; an empty field keeps everything."""

    severity: Severity | None = None
    resource_type: str | None = None
    trait: str | None = None
    status: str | None = None
    text: str | None = None


def posture(store: Store, scan_id: int, keep: PostureFilter, offset: int = 0,
            limit: int = 50) -> Page[dict[str, Any]]:
    """One page of a scan's posture entries (worst first, then in the scan's order)."""
    query = select(PostureRow.document).where(PostureRow.scan_id == scan_id)
    if keep.severity is not None:
        query = query.where(PostureRow.severity == int(keep.severity))
    if keep.resource_type:
        query = query.where(PostureRow.resource_type == keep.resource_type)
    if keep.status:
        query = query.where(PostureRow.status == keep.status)
    if keep.trait:
        query = query.where(PostureRow.traits.like(_like(f" {keep.trait} "), escape="\\"))
    if keep.text:
        query = query.where(cast(PostureRow.document, Text).ilike(_like(keep.text),
                                                                  escape="\\"))
    with store.session() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(query.order_by(PostureRow.severity.desc(), PostureRow.ordinal)
                               .offset(max(offset, 0)).limit(max(limit, 1)))
        return Page(tuple(dict(r) for r in rows), total, offset, limit)


def _like(text: str) -> str:
    """``%text%`` with LIKE's wildcards in ``text`` taken literally (escape ``\\``)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


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
