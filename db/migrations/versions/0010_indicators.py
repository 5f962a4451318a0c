"""Annual monitoring (docs/rules.md, "Annual monitoring"): indicator values and plan targets are facts.

Two kinds join ``fact``: ``indicator`` (``year``, ``detail`` = the indicator's code, ``value``) and ``target``
(``detail`` = the code, ``base_year``, ``year`` = the target year, ``value`` = the target). They need two nullable
columns, ``value`` (a double) and ``base_year``; the facts already stored leave them empty. Adding a nullable
column is no UPDATE, so the append-only triggers of migration 0005 stay as they are.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("fact", sa.Column("value", sa.Float, nullable=True))
    op.add_column("fact", sa.Column("base_year", sa.Integer, nullable=True))


def downgrade() -> None:
    raise NotImplementedError("0010 keeps every indicator value on the record; there is no way back")
