"""The database: models, sessions, migrations (Alembic), and every query."""

#: The newest migration; tests check that it matches db/migrations/versions.
HEAD = "0017_personal"
