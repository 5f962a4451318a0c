"""Scratch rows for a digest round being built, so a round over a whole roster needs no more memory than a slice.

Rows live only inside the transaction that builds a round: written per slice of clusters, read back one
recipient at a time, deleted before the transaction commits. Outside a round the table is empty.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "round_item",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("delivery_id", sa.Integer, nullable=False),
        sa.Column("grp", sa.String(16)),
        sa.Column("cluster_id", sa.String(64)),
        sa.Column("cluster_name", sa.Text),
        sa.Column("what", sa.Text),
        sa.Column("due", sa.Date),
        sa.Column("days_left", sa.Integer),
        sa.Column("basis", sa.Text),
        sa.Column("severity", sa.String(32)),
        sa.Column("late", sa.Boolean),
        sa.Column("note", sa.Text),
    )
    op.create_index("ix_round_item_recipient", "round_item", ["recipient", "id"])


def downgrade() -> None:
    op.drop_table("round_item")
