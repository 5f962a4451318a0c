"""Who is mailed is chosen, and the first send is seen first (issue 26, item 3).

Each digest round is recorded with the recipient set it was for (``digest_round``). A round whose set grew
since the last one sent (a role or a region enabled, or at least 20% more addresses) sends to the
administrators and holds the rest: those deliveries are ``held``, named by the round (``delivery.held_round``),
until an administrator approves the round (released into it once) or refuses it (they stay held).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digest_round",
        sa.Column("id", sa.String(96), primary_key=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("audience", sa.Text, nullable=False),
        sa.Column("grown", sa.Text, nullable=True),
        sa.Column("decided_by", sa.String(128), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
    )
    op.create_index("ix_digest_round_state", "digest_round", ["state"])
    with op.batch_alter_table("delivery") as batch:
        batch.add_column(sa.Column("held_round", sa.String(96), nullable=True))
        batch.create_index("ix_delivery_held_round", ["held_round"])


def downgrade() -> None:
    with op.batch_alter_table("delivery") as batch:
        batch.drop_index("ix_delivery_held_round")
        batch.drop_column("held_round")
    op.drop_table("digest_round")
