"""A cluster keeps the columns of its roster file that the roster does not know (issue 26, item 1).

A department's workbook has columns of its own (序号, 备注, 联系人, …). `monitor import` keeps them instead of
refusing the file: ``cluster.extra`` holds them as a JSON object of header to text, in the file's order; the
cluster's page shows them and `monitor export` writes them back as their own columns.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cluster", sa.Column("extra", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cluster") as batch:
        batch.drop_column("extra")
