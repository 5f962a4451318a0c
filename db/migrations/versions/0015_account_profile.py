"""Each account's profile (issue 27, item 1): a name, an e-mail address, a telephone number, and whether the
person receives the daily reminder digest by e-mail. The console's Profile page writes them; the digest's
recipients still come from the roster and ``general.administrators`` (see README, "Profiles").

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("account") as table:
        table.add_column(sa.Column("full_name", sa.String(64), nullable=False, server_default=""))
        table.add_column(sa.Column("email", sa.String(254), nullable=False, server_default=""))
        table.add_column(sa.Column("phone", sa.String(32), nullable=False, server_default=""))
        table.add_column(sa.Column("digest_email", sa.Boolean, nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("account") as table:
        for column in ("digest_email", "phone", "email", "full_name"):
            table.drop_column(column)
