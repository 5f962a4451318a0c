"""The schema: Alembic migrations match the models, on SQLite and PostgreSQL."""

from __future__ import annotations

from importlib import resources

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from db.models import Base
from db.session import HEAD, current_revision, ensure_schema, make_engine


def test_head_constant_matches_the_migrations() -> None:
    config = Config()
    config.set_main_option("script_location", str(resources.files("db").joinpath("migrations")))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD


def test_migrations_create_exactly_the_models(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        ensure_schema(engine)
        ensure_schema(engine)  # idempotent
        assert current_revision(engine) == HEAD
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == []
    finally:
        engine.dispose()
