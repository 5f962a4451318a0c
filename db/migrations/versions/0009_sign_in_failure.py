"""Failed sign-ins are counted by name and client address, for every console worker alike (issue 25, item 3).

Until now five wrong passwords locked an account outright for 15 minutes (``account.failed_logins`` and
``locked_until``): anyone could lock out any account, the only administrator too, again and again, and
guesses at unknown names were not limited at all. Each failure is now a row here, by the SHA-256 of the name
typed (a known account's or not) and the address it came from; monitor.actions.accounts counts them per name
and address, per address, per name and in all. The two old columns are left unused (see db.models.AccountRow).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_failure",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name_digest", sa.String(64), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_sign_in_failure_name", "sign_in_failure", ["name_digest", "at"])
    op.create_index("ix_sign_in_failure_address", "sign_in_failure", ["address", "at"])
    op.create_index("ix_sign_in_failure_at", "sign_in_failure", ["at"])
    op.execute("UPDATE account SET failed_logins = 0, locked_until = NULL")    # the old lock is lifted


def downgrade() -> None:
    op.drop_table("sign_in_failure")
