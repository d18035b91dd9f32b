"""``--store-retention``: forget old scans, keep every finding that is still open.

``N`` keeps the last N scans, ``Nd`` the scans recorded in the last N days (the newest scan is
always kept). A scan's rows go with it (``ON DELETE CASCADE``); a finding identity goes only
when it was resolved before the oldest scan kept, so an open finding is never forgotten and
store suppressions and the audit log are kept whatever their age.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from ecs_exposure.errors import StoreError
from ecs_exposure.store.engine import Store
from ecs_exposure.store.schema import Finding, Scan

_RULE = re.compile(r"\s*(\d+)\s*(d?)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Retention:
    """Keep the last ``scans`` scans, or those of the last ``days`` days."""

    scans: int | None = None
    days: int | None = None

    @classmethod
    def parse(cls, text: str) -> Retention:
        """``30`` (scans) or ``90d`` (days); at least 1."""
        match = _RULE.fullmatch(text)
        if match is None or int(match.group(1)) < 1:
            raise StoreError(f"--store-retention: {text!r} is not N (scans) or Nd (days), "
                             "N at least 1")
        number = int(match.group(1))
        return cls(days=number) if match.group(2) else cls(scans=number)


def apply_retention(store: Store, rule: Retention, now: datetime) -> int:
    """Delete the scans ``rule`` does not keep; returns how many were deleted."""
    with store.session() as session:
        newest = session.scalar(select(func.max(Scan.id)))
        if newest is None:
            return 0
        if rule.scans is not None:
            ids = list(session.scalars(select(Scan.id).order_by(Scan.id.desc())
                                       .limit(rule.scans)))
            oldest = min(ids)
        else:
            cutoff = now - timedelta(days=rule.days or 0)
            oldest = session.scalar(select(func.min(Scan.id)).where(
                Scan.recorded_at >= cutoff)) or newest
        gone = session.scalar(select(func.count()).select_from(Scan)
                              .where(Scan.id < oldest)) or 0
        session.execute(delete(Scan).where(Scan.id < oldest))
        session.execute(delete(Finding).where(Finding.lifecycle == "resolved",
                                              Finding.changed_scan_id < oldest))
        return gone
