"""When the scan must look at each cluster again: its next threshold day, or never until its facts change.

A cluster with no row (new, or its facts changed since: recording a fact deletes its row) or whose day has come
is evaluated by the next scan, which writes the row anew; the others are skipped. The daemon's first scan after
it starts looks at every cluster (config may have changed the lead days).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scan_watch",
        sa.Column("cluster_id", sa.String(64), sa.ForeignKey("cluster.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("next_scan", sa.Date, nullable=False),
    )
    op.create_index("ix_scan_watch_next_scan", "scan_watch", ["next_scan"])


def downgrade() -> None:
    op.drop_table("scan_watch")
