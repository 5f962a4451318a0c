"""Alembic environment: migrations run on the connection monitor hands over (db/session.py)."""

from __future__ import annotations

from alembic import context

from db.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only through ensure_schema
    raise RuntimeError("run migrations through db.session.ensure_schema")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
