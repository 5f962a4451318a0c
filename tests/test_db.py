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


def test_0005_keeps_every_stored_fact_as_a_version(database_url: str) -> None:
    """Facts stored before the record was append-only become versions; a filing filled in later (stored in place
    then) becomes a second version, recorded when and by whom the filing was."""
    import datetime as dt

    from alembic import command
    from sqlalchemy import text

    config = Config()
    config.set_main_option("script_location", str(resources.files("db").joinpath("migrations")))
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0004")
        t1, t2 = dt.datetime(2025, 1, 1, 1, tzinfo=dt.UTC), dt.datetime(2025, 2, 1, 1, tzinfo=dt.UTC)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO cluster (id, name, regime, certified_on, recorded_at, recorded_by) "
                              "VALUES ('C', 'c', 'nmg-sme-draft', '2023-10-15', :t, 'a')"), {"t": t1})
            conn.execute(text("INSERT INTO report (cluster_id, year, filed_on, recorded_at, recorded_by) "
                              "VALUES ('C', 2024, '2025-03-01', :t, 'a')"), {"t": t2})
            conn.execute(text("INSERT INTO change (cluster_id, kind, changed_on, filed_on, filing_recorded_at, "
                              "filing_recorded_by, recorded_at, recorded_by) VALUES ('C', 'operator', '2024-12-20', "
                              "'2025-01-15', :t2, 'b', :t1, 'a')"), {"t1": t1, "t2": t2})
            conn.execute(text("INSERT INTO revocation (cluster_id, on_date, note, recorded_at, recorded_by) "
                              "VALUES ('C', '2025-06-01', 'x', :t, 'a')"), {"t": t2})
        ensure_schema(engine)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, kind, detail, filed_on, replaces, recorded_by, reason FROM fact "
                                     "ORDER BY id")).all()
        assert [(r[1], r[2], str(r[3]) if r[3] else None, r[4], r[5], r[6]) for r in rows] == [
            ("change", "operator", None, None, "a", None),
            ("change", "operator", "2025-01-15", rows[0][0], "b", "filing recorded"),
            ("report", None, "2025-03-01", None, "a", None),
            ("revocation", None, None, None, "a", None),
        ]
    finally:
        engine.dispose()
