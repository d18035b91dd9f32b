"""The audit log of store suppressions, and the indexes that keep a scan's findings sorted by
severity and a finding's timeline fast on 30 scans × 10,000 findings.

Revision ID: v2
Revises: v1
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "v2"
down_revision: str | None = "v1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``audit_log`` and the two ``scan_findings`` indexes."""
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("finding_id", sa.String(64), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_finding_id", "audit_log", ["finding_id"])
    op.create_index("ix_scan_findings_scan_severity", "scan_findings",
                    ["scan_id", "severity"])
    op.create_index("ix_scan_findings_finding", "scan_findings", ["finding_id", "scan_id"])


def downgrade() -> None:
    """Remove what :func:`upgrade` added."""
    op.drop_index("ix_scan_findings_finding", "scan_findings")
    op.drop_index("ix_scan_findings_scan_severity", "scan_findings")
    op.drop_table("audit_log")
