"""Clusters and the recorded facts.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _recorded() -> list[sa.Column[object]]:
    return [
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(128), nullable=False),
    ]


def _cluster_id() -> sa.Column[str]:
    return sa.Column("cluster_id", sa.String(64), sa.ForeignKey("cluster.id", ondelete="RESTRICT"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "cluster",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("regime", sa.String(64), nullable=False),
        sa.Column("certified_on", sa.Date, nullable=False),
        sa.Column("valid_until", sa.Date),
        sa.Column("batch", sa.String(64)),
        sa.Column("region", sa.Text),
        sa.Column("operator", sa.Text),
        sa.Column("operator_email", sa.Text),
        sa.Column("bureau_email", sa.Text),
        sa.Column("publicity_start", sa.Date),
        *_recorded(),
    )
    op.create_index("ix_cluster_regime", "cluster", ["regime"])
    op.create_table(
        "report",
        sa.Column("id", sa.Integer, primary_key=True),
        _cluster_id(),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("filed_on", sa.Date, nullable=False),
        *_recorded(),
        sa.UniqueConstraint("cluster_id", "year"),
    )
    op.create_table(
        "change",
        sa.Column("id", sa.Integer, primary_key=True),
        _cluster_id(),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("changed_on", sa.Date, nullable=False),
        sa.Column("filed_on", sa.Date),
        sa.Column("filing_recorded_at", sa.DateTime(timezone=True)),
        sa.Column("filing_recorded_by", sa.String(128)),
        *_recorded(),
        sa.UniqueConstraint("cluster_id", "kind", "changed_on"),
    )
    op.create_table(
        "review",
        sa.Column("id", sa.Integer, primary_key=True),
        _cluster_id(),
        sa.Column("result", sa.String(16), nullable=False),
        sa.Column("on_date", sa.Date, nullable=False),
        *_recorded(),
        sa.UniqueConstraint("cluster_id", "result", "on_date"),
    )
    op.create_table(
        "assessment",
        sa.Column("id", sa.Integer, primary_key=True),
        _cluster_id(),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("result", sa.String(16), nullable=False),
        sa.Column("on_date", sa.Date, nullable=False),
        *_recorded(),
        sa.UniqueConstraint("cluster_id", "year"),
    )
    op.create_table(
        "incident",
        sa.Column("id", sa.Integer, primary_key=True),
        _cluster_id(),
        sa.Column("ground", sa.String(32), nullable=False),
        sa.Column("on_date", sa.Date, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("dismissed_on", sa.Date),
        sa.Column("dismissal_recorded_at", sa.DateTime(timezone=True)),
        sa.Column("dismissal_recorded_by", sa.String(128)),
        *_recorded(),
        sa.UniqueConstraint("cluster_id", "ground", "on_date"),
    )
    op.create_table(
        "revocation",
        sa.Column("cluster_id", sa.String(64), sa.ForeignKey("cluster.id"), primary_key=True),
        sa.Column("on_date", sa.Date, nullable=False),
        sa.Column("note", sa.Text),
        *_recorded(),
    )


def downgrade() -> None:
    for table in ("revocation", "incident", "assessment", "review", "change", "report", "cluster"):
        op.drop_table(table)
