"""Persistence: SQLAlchemy models, engines and sessions, Alembic migrations, and the fact repository."""
