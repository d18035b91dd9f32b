"""The store's tables, as SQLAlchemy 2 typed ORM models (the head revision of the migrations;
a test checks that the migrations build exactly this).

What a scan recorded is the JSON result, split where the dashboard filters and sorts: each
finding and posture entry is a row with its filter columns (severity, state, account, region,
cluster, traits) beside its JSON document exactly as the JSON result holds it, so the store
never holds more than the result does (no secret value: the result masks them). One row per
finding identity (:class:`Finding`) carries its lifecycle across scans; store suppressions and
the audit log of every change to them are their own tables.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ID = String(64)
"""A finding or posture id (a hash, see ``exposure.assess.finding_id``)."""


class Base(DeclarativeBase):
    """The store's metadata; JSON columns hold the result's documents."""

    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Scan(Base):
    """One recorded scan: its metadata, and the JSON result's members that are not per
    finding (summary, suppression uses, baseline, compliance, guidance…) in ``document``."""

    __tablename__ = "scans"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    generated_at: Mapped[str] = mapped_column(String(40))
    """The result's ``generated_at`` (ISO 8601, UTC)."""
    recorded_at: Mapped[datetime]
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    tool_version: Mapped[str] = mapped_column(String(40))
    inputs: Mapped[list[Any]]
    accounts: Mapped[list[Any]]
    regions: Mapped[list[Any]]
    scope: Mapped[list[Any]]
    """``[account, region]`` pairs the scan read resources of (``null`` when unknown)."""
    intel: Mapped[list[Any]]
    complete: Mapped[bool]
    """No collection error, no incomplete resource: every scope it read, it read whole."""
    findings: Mapped[int]
    document: Mapped[dict[str, Any]]


class ScanFinding(Base):
    """A finding as one scan saw it (``document`` is ``null`` for a row that records the
    finding's resolution in this scan)."""

    __tablename__ = "scan_findings"

    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"),
                                         primary_key=True)
    finding_id: Mapped[str] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    """``service`` or ``task_definition`` (an unattached task definition's finding)."""
    position: Mapped[int]
    """Its place in the result's list (``-1`` for a resolution row)."""
    severity: Mapped[int]
    """:class:`ecs_exposure.model.Severity` value, so SQL sorts by it."""
    lifecycle: Mapped[str] = mapped_column(String(12))
    """``new``, ``active``, ``regressed`` or ``resolved``."""
    suppressed: Mapped[bool]
    title: Mapped[str] = mapped_column(Text)
    resource_type: Mapped[str] = mapped_column(String(40))
    arn: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    cluster: Mapped[str | None] = mapped_column(Text)
    account: Mapped[str | None] = mapped_column(String(20))
    region: Mapped[str | None] = mapped_column(String(40))
    reachability: Mapped[str | None] = mapped_column(String(20))
    traits: Mapped[str] = mapped_column(Text)
    """Trait ids, space-separated with a space at each end, so ``LIKE '% id %'`` selects."""
    document: Mapped[dict[str, Any] | None]
    search: Mapped[str] = mapped_column(Text, server_default="")
    """Title, name, ARN and cluster, lower-cased and newline-separated (third revision): the
    free-text filter is one ``LIKE`` on it, not ``ILIKE`` on four columns (PostgreSQL: with a
    ``pg_trgm`` index when the extension is available)."""


class PostureRow(Base):
    """A posture entry of one scan."""

    __tablename__ = "scan_posture"

    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"),
                                         primary_key=True)
    ordinal: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    entry_id: Mapped[str] = mapped_column(ID)
    resource_type: Mapped[str] = mapped_column(String(40))
    severity: Mapped[int]
    status: Mapped[str] = mapped_column(String(12))
    account: Mapped[str | None] = mapped_column(String(20))
    region: Mapped[str | None] = mapped_column(String(40))
    traits: Mapped[str] = mapped_column(Text)
    document: Mapped[dict[str, Any]]


class ScanProblem(Base):
    """An input or collection error (``kind`` ``error``) or a skipped input (``skipped``)."""

    __tablename__ = "scan_problems"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"),
                                         index=True)
    kind: Mapped[str] = mapped_column(String(10))
    source: Mapped[str] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)
    account: Mapped[str | None] = mapped_column(String(20))
    region: Mapped[str | None] = mapped_column(String(40))
    operation: Mapped[str | None] = mapped_column(Text)


class ScanIncomplete(Base):
    """A resource or scope the scan could not read whole."""

    __tablename__ = "scan_incomplete"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"),
                                         index=True)
    resource: Mapped[str] = mapped_column(Text)
    reasons: Mapped[list[Any]]


class ScanImage(Base):
    """The result's ``images`` member: every vulnerability of one image, once per scan."""

    __tablename__ = "scan_images"

    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"),
                                         primary_key=True)
    image: Mapped[str] = mapped_column(String(1000), primary_key=True)
    document: Mapped[dict[str, Any]]


class Finding(Base):
    """A finding identity across scans: its current lifecycle state and where it was seen."""

    __tablename__ = "findings"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    lifecycle: Mapped[str] = mapped_column(String(12))
    severity: Mapped[int]
    title: Mapped[str] = mapped_column(Text)
    arn: Mapped[str] = mapped_column(Text)
    account: Mapped[str | None] = mapped_column(String(20))
    region: Mapped[str | None] = mapped_column(String(40))
    first_scan_id: Mapped[int]
    last_scan_id: Mapped[int]
    """The last scan that saw it."""
    changed_scan_id: Mapped[int]
    """The scan that set :attr:`lifecycle`."""


class StoreSuppression(Base):
    """A finding accepted in the store (dashboard or API): honoured by the next scans."""

    __tablename__ = "suppressions"

    finding_id: Mapped[str] = mapped_column(ID, primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(Text)
    expires: Mapped[date | None]
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class AuditEntry(Base):
    """Who changed a store suppression, what, and when (added by the second revision)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(20))
    """``suppress`` (made or changed) or ``unsuppress``."""
    finding_id: Mapped[str] = mapped_column(ID, index=True)
    details: Mapped[dict[str, Any]]
    """The suppression after the change (reason, owner, expires) and before it."""


Index("ix_scan_findings_scan_severity", ScanFinding.scan_id, ScanFinding.severity)
Index("ix_scan_findings_finding", ScanFinding.finding_id, ScanFinding.scan_id)
"""Added by the second revision: the findings list sorted by severity and a finding's
timeline stay index scans on 30 scans × 10,000 findings."""
