"""Messages to a person (issue 29, items 2 and 4): the ids an account is addressed by on 企业微信, 钉钉 and 飞书,
the personal channels it turned off, the window it may be written to in, and how often (README, "Messages to a
person").

Revision ID: 0017_personal
Revises: 0016_signin
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_personal"
down_revision = "0016_signin"
branch_labels = None
depends_on = None

COLUMNS = ("wecom_userid", "dingtalk_userid", "feishu_open_id", "muted_channels", "window_from", "window_until",
           "window_workdays", "digest_every")


def upgrade() -> None:
    with op.batch_alter_table("account") as table:
        table.add_column(sa.Column("wecom_userid", sa.String(64), nullable=False, server_default=""))
        table.add_column(sa.Column("dingtalk_userid", sa.String(64), nullable=False, server_default=""))
        table.add_column(sa.Column("feishu_open_id", sa.String(64), nullable=False, server_default=""))
        table.add_column(sa.Column("muted_channels", sa.Text, nullable=False, server_default=""))
        table.add_column(sa.Column("window_from", sa.String(5), nullable=False, server_default="09:00"))
        table.add_column(sa.Column("window_until", sa.String(5), nullable=False, server_default="18:00"))
        table.add_column(sa.Column("window_workdays", sa.Boolean, nullable=False, server_default=sa.true()))
        table.add_column(sa.Column("digest_every", sa.String(8), nullable=False, server_default="round"))


def downgrade() -> None:
    with op.batch_alter_table("account") as table:
        for column in reversed(COLUMNS):
            table.drop_column(column)
