"""Reading through the database driver itself: the overview's fast path, and the only path `monitor status` takes.

An SQLite database is read with the standard library's ``sqlite3`` (nothing of SQLAlchemy is imported: a cold
`monitor status` starts in a fraction of the time), PostgreSQL through the engine's pooled DBAPI connection.
Rows come back as plain tuples. Queries are written with ``:name`` parameters, which both drivers are given in
the style they take.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

_NAMED = re.compile(r"(?<!:):(\w+)")

#: how long an SQLite connection waits for another process's write lock before giving up ("database is locked")
BUSY_TIMEOUT_SECONDS = 30.0


class Reads(Protocol):
    """What the queries of db/ need of a connection: rows as tuples, and whether dates come back as text."""
    dates_as_text: bool

    def all(self, sql: str, params: Mapping[str, object] | None = None) -> Sequence[tuple[Any, ...]]: ...


class SqliteReads:
    dates_as_text = True

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def all(self, sql: str, params: Mapping[str, object] | None = None) -> Sequence[tuple[Any, ...]]:
        return self.conn.execute(sql, params or {}).fetchall()


class DbapiReads:
    """A DBAPI connection in the ``pyformat`` style (psycopg)."""
    dates_as_text = False

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def all(self, sql: str, params: Mapping[str, object] | None = None) -> Sequence[tuple[Any, ...]]:
        with closing(self.conn.cursor()) as cursor:
            cursor.execute(_NAMED.sub(r"%(\1)s", sql.replace("%", "%%")), params or {})
            rows: Sequence[tuple[Any, ...]] = cursor.fetchall()
            return rows


class SessionReads:
    """The connection of a SQLAlchemy session, inside its transaction (the daemon's rounds)."""

    def __init__(self, conn: Connection) -> None:
        self.conn, self.dates_as_text = conn, conn.dialect.name == "sqlite"

    def all(self, sql: str, params: Mapping[str, object] | None = None) -> Sequence[tuple[Any, ...]]:
        from sqlalchemy import text

        return [tuple(row) for row in self.conn.execute(text(sql), dict(params or {}))]


def sqlite_path(url: str) -> Path | None:
    """The file of an ``sqlite:///…`` URL, None for any other database."""
    if not url.startswith("sqlite:///"):
        return None
    return Path(url.removeprefix("sqlite:///").split("?")[0])


class Reader:
    """Opens read connections for one database URL. ``engine`` builds (and migrates) the SQLAlchemy engine,
    which only PostgreSQL needs here."""

    def __init__(self, url: str, engine: Callable[[], Engine]) -> None:
        self.path, self._engine = sqlite_path(url), engine

    @contextmanager
    def connect(self) -> Iterator[Reads]:
        if self.path is not None:
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS)
            try:
                yield SqliteReads(conn)
            finally:
                conn.close()
            return
        raw = self._engine().raw_connection()
        try:
            yield DbapiReads(raw.driver_connection)
            raw.commit()
        finally:
            raw.close()

    def current_revision(self) -> str | None:
        """The schema's Alembic revision, read without SQLAlchemy (None: no schema yet)."""
        with self.connect() as reads:
            try:
                found = reads.all("SELECT version_num FROM alembic_version")
            except sqlite3.Error:
                return None
        return str(found[0][0]) if found else None
