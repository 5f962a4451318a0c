"""Rounds commit as they go: scratch rows name the round that wrote them.

A digest round now writes its scratch rows a slice at a time in short transactions of their own (so a `record`
on SQLite never waits behind a whole round), and claims each recipient's deliveries in a transaction of its
own. The rows carry their round's id: rounds never read each other's rows, and the rows of a round whose
process died are removed by a later round.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM round_item")      # empty outside a round until now; a dead round's rows go
    with op.batch_alter_table("round_item") as batch:
        batch.add_column(sa.Column("round_id", sa.String(96), nullable=False, server_default=""))
    op.drop_index("ix_round_item_recipient", "round_item")
    op.create_index("ix_round_item_round", "round_item", ["round_id", "recipient", "id"])


def downgrade() -> None:
    op.drop_index("ix_round_item_round", "round_item")
    with op.batch_alter_table("round_item") as batch:
        batch.drop_column("round_id")
    op.create_index("ix_round_item_recipient", "round_item", ["recipient", "id"])
