"""The reminder ledger: reminders, their deliveries, digest messages, acks, snoozes and daemon state.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _cluster_id() -> sa.Column[str]:
    return sa.Column("cluster_id", sa.String(64), sa.ForeignKey("cluster.id", ondelete="RESTRICT"), nullable=False)


def _hold(name: str) -> None:
    """ack and snooze have the same shape: a subject held quiet until a day, with a note, who and when."""
    op.create_table(
        name,
        sa.Column("id", sa.Integer, primary_key=True),
        _cluster_id(),
        sa.Column("subject", sa.String(160), nullable=False),
        sa.Column("until", sa.Date, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(128), nullable=False),
    )


def upgrade() -> None:
    op.create_table(
        "reminder",
        sa.Column("id", sa.Integer, primary_key=True),
        _cluster_id(),
        sa.Column("subject", sa.String(160), nullable=False),
        sa.Column("stage", sa.String(32), nullable=False),
        sa.Column("crossed_on", sa.Date, nullable=False),
        sa.Column("found_on", sa.Date, nullable=False),
        sa.Column("late", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("cluster_id", "subject", "stage"),
    )
    op.create_table(
        "message",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("late", sa.Boolean, nullable=False),
        sa.Column("round_day", sa.Date, nullable=False),
        sa.Column("raw", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(128), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True)),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("error", sa.Text),
    )
    op.create_index("ix_message_recipient", "message", ["recipient"])
    op.create_index("ix_message_state", "message", ["state"])
    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("reminder_id", sa.Integer, sa.ForeignKey("reminder.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("message_id", sa.String(128), sa.ForeignKey("message.id", ondelete="RESTRICT")),
        sa.Column("settled_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("reminder_id", "recipient"),
    )
    op.create_index("ix_delivery_state", "delivery", ["state"])
    op.create_index("ix_delivery_message_id", "delivery", ["message_id"])
    _hold("ack")
    _hold("snooze")
    op.create_table(
        "daemon_state",
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.Date),
        sa.Column("detail", sa.Text),
    )


def downgrade() -> None:
    for table in ("daemon_state", "snooze", "ack", "delivery", "message", "reminder"):
        op.drop_table(table)
