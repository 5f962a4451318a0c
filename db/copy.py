"""A whole database copied into a new SQLite file (``monitor drill DIR``: jobs/drill.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from db.models import Base
from db.session import ensure_schema, make_engine

#: rows copied at a time
ROWS = 1000


def copy_to_sqlite(source: Engine, target: Path, then: Callable[[Session], None]) -> None:
    """Every table of ``source``, row by row in key order, into a new SQLite database at ``target`` (its schema
    made by the migrations), and ``then`` (a drill's mark) in the same transaction: the copy is never there
    without it."""
    engine = make_engine(f"sqlite:///{target}")
    try:
        ensure_schema(engine)
        with source.connect() as reading, engine.begin() as copy:
            for table in Base.metadata.sorted_tables:
                rows = reading.execute(select(table).order_by(*table.primary_key.columns)).mappings()
                while batch := rows.fetchmany(ROWS):
                    copy.execute(insert(table), [dict(row) for row in batch])
            with Session(bind=copy) as session:
                then(session)
                session.flush()
    finally:
        engine.dispose()
