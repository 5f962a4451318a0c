"""Department-wide settings every process reads from the database (issue 26, item 2): the baseline
(监测起始日) that ``monitor import --from D`` sets, so the daemon, the console and every command see the same day.

One row a setting, by name; ``value`` is text (an ISO date for ``monitoring_from``), with who set it and when.

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "setting",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(200), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("set_by", sa.String(128), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("setting")
