"""Uploads previewed in the console are held server-side until they are stored or expire (issue 25, item 5).

Storing used to post the whole file back as base64 in a form field, which Starlette refuses above 1 MB: a file
over ~768 KB could be previewed but never stored. The preview now keeps the bytes here, by the SHA-256 of a
random token bound to the account that uploaded them, and the store step posts only the token.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "upload",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("account.id", ondelete="CASCADE"), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_upload_account", "upload", ["account_id"])
    op.create_index("ix_upload_expires_at", "upload", ["expires_at"])


def downgrade() -> None:
    op.drop_table("upload")
