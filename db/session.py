"""Engines, sessions and the schema: created with Alembic on first use, upgraded when behind."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, Engine, Insert, Result, create_engine, event, inspect, text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from db import HEAD
from db.read import BUSY_TIMEOUT_SECONDS
from monitor.errors import ConfigError

T = TypeVar("T")


def masked(url: str) -> str:
    """A database URL fit to print: its password (and anything in the error that repeats it) hidden."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def make_engine(url: str) -> Engine:
    # a server's connections are checked before use: after it restarts, the pool's old ones are replaced at once
    # instead of failing one transaction each
    options: dict[str, Any] = {} if url.startswith("sqlite") else {"pool_pre_ping": True}
    try:
        engine = create_engine(url, future=True, **options)
    except Exception as exc:  # noqa: BLE001 - a malformed URL or a driver that is not installed
        raise ConfigError("database url '{url}': {reason}", url=masked(url), reason=masked(str(exc))) from None
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()
    return engine


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def ensure_schema(engine: Engine) -> None:
    """Bring the schema to HEAD. Cheap when it is already there (one query, no Alembic import)."""
    if current_revision(engine) == HEAD:
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("db").joinpath("migrations")))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":  # two daemons starting at once migrate one at a time
            conn.execute(text("SELECT pg_advisory_xact_lock(7331001)"))
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: committed whole or rolled back whole."""
    with factory() as session, session.begin():
        yield session


@contextmanager
def stepwise(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Work that commits as it goes (its steps call ``session.commit()``), and at the end; on an error, what was
    not yet committed is rolled back. For long jobs (a scan, a round) that must not hold a write lock."""
    with factory() as session:
        yield session
        session.commit()


def in_transaction(factory: sessionmaker[Session], act: Callable[[Session], T]) -> T:
    """``act(session)`` as one unit of work, and what it returns."""
    with transaction(factory) as session:
        return act(session)


#: the errors of a database out of reach (stopped, restarting, a connection cut, SQLite locked for too long),
#: which a later try may not meet, unlike a statement it refused
UNREACHABLE: tuple[type[Exception], ...] = (OperationalError, InterfaceError)


def reason(exc: BaseException) -> str:
    """An error on one line, fit for a log: a database error as its driver said it (no SQL, no parameters)."""
    text = str(exc.orig) if isinstance(exc, DBAPIError) and exc.orig is not None else str(exc)
    lines = text.strip().splitlines()
    return masked(lines[0] if lines else type(exc).__name__)


def rowcount(result: Result[Any]) -> int:
    """How many rows an UPDATE changed: the test of a conditional claim."""
    return cast(CursorResult[Any], result).rowcount


def dialect_insert(conn: Any, table: Any) -> Any:
    """The dialect's INSERT, which has ON CONFLICT on SQLite and PostgreSQL alike."""
    from sqlalchemy.dialects import postgresql, sqlite

    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)


def insert_ignoring_duplicates(conn: Any, table: Any) -> Insert:
    """INSERT … ON CONFLICT DO NOTHING."""
    return cast(Insert, dialect_insert(conn, table).on_conflict_do_nothing())
