"""The initial schema: scans, their findings, posture, problems, incomplete resources and
images, finding identities and store suppressions.

Revision ID: v1
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "v1"
down_revision: str | None = None
branch_labels = None
depends_on = None

ID = sa.String(64)


def _scan_fk() -> sa.Column[int]:
    return sa.Column("scan_id", sa.Integer(), sa.ForeignKey("scans.id", ondelete="CASCADE"),
                     nullable=False)


def upgrade() -> None:
    """Create every table of the first schema."""
    op.create_table(
        "scans",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("generated_at", sa.String(40), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("duration_seconds", sa.Float(), nullable=True),
        sa.Column("tool_version", sa.String(40), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("accounts", sa.JSON(), nullable=False),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("scope", sa.JSON(), nullable=False),
        sa.Column("intel", sa.JSON(), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("findings", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
    )
    op.create_table(
        "scan_findings",
        _scan_fk(),
        sa.Column("finding_id", ID, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("lifecycle", sa.String(12), nullable=False),
        sa.Column("suppressed", sa.Boolean(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("resource_type", sa.String(40), nullable=False),
        sa.Column("arn", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("cluster", sa.Text(), nullable=True),
        sa.Column("account", sa.String(20), nullable=True),
        sa.Column("region", sa.String(40), nullable=True),
        sa.Column("reachability", sa.String(20), nullable=True),
        sa.Column("traits", sa.Text(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("scan_id", "finding_id"),
    )
    op.create_table(
        "scan_posture",
        _scan_fk(),
        sa.Column("ordinal", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("entry_id", ID, nullable=False),
        sa.Column("resource_type", sa.String(40), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("account", sa.String(20), nullable=True),
        sa.Column("region", sa.String(40), nullable=True),
        sa.Column("traits", sa.Text(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("scan_id", "ordinal"),
    )
    for name in ("scan_problems", "scan_incomplete"):
        columns = ([sa.Column("kind", sa.String(10), nullable=False),
                    sa.Column("source", sa.Text(), nullable=False),
                    sa.Column("message", sa.Text(), nullable=False),
                    sa.Column("account", sa.String(20), nullable=True),
                    sa.Column("region", sa.String(40), nullable=True),
                    sa.Column("operation", sa.Text(), nullable=True)]
                   if name == "scan_problems" else
                   [sa.Column("resource", sa.Text(), nullable=False),
                    sa.Column("reasons", sa.JSON(), nullable=False)])
        op.create_table(name, sa.Column("id", sa.Integer(), primary_key=True,
                                        autoincrement=True), _scan_fk(), *columns)
        op.create_index(f"ix_{name}_scan_id", name, ["scan_id"])
    op.create_table(
        "scan_images",
        _scan_fk(),
        sa.Column("image", sa.String(1000), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("scan_id", "image"),
    )
    op.create_table(
        "findings",
        sa.Column("id", ID, primary_key=True),
        sa.Column("lifecycle", sa.String(12), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("arn", sa.Text(), nullable=False),
        sa.Column("account", sa.String(20), nullable=True),
        sa.Column("region", sa.String(40), nullable=True),
        sa.Column("first_scan_id", sa.Integer(), nullable=False),
        sa.Column("last_scan_id", sa.Integer(), nullable=False),
        sa.Column("changed_scan_id", sa.Integer(), nullable=False),
    )
    op.create_table(
        "suppressions",
        sa.Column("finding_id", ID, primary_key=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("owner", sa.Text(), nullable=True),
        sa.Column("expires", sa.Date(), nullable=True),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    """Drop every table."""
    for name in ("suppressions", "findings", "scan_images", "scan_incomplete",
                 "scan_problems", "scan_posture", "scan_findings", "scans"):
        op.drop_table(name)
