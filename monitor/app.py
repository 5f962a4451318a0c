"""Wiring for the doors (CLI, daemon, web): settings, database, packs and calendar, built once and only when needed."""

from __future__ import annotations

import datetime as dt
import getpass
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from db import HEAD
from db.read import Reader, Reads
from monitor import clock
from monitor.config import DEFAULT_SOURCE, Settings, load_settings
from monitor.errors import ConfigError, InputError, Said
from monitor.rules.indicators import Vocabulary, load_vocabulary
from monitor.rules.packs import Pack, load_packs
from monitor.rules.standard_items import check_standards
from monitor.rules.workdays import WorkCalendar, statutory_holiday

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker


#: the longest name stored as who recorded a fact (db/models.py, recorded_by)
MAX_WHO = 128


def who() -> str:
    """Who records a fact: MONITOR_USER, else the login name."""
    try:
        name = os.environ.get("MONITOR_USER") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
    if len(name) > MAX_WHO or not name.isprintable():
        raise ConfigError("MONITOR_USER: '{name}…' must be at most {most} printable characters", name=name[:40],
                          most=MAX_WHO)
    return name


def refuse_statutory_workdays(settings: Settings) -> None:
    """config's ``[calendar] workdays`` may not make a statutory holiday a working day (docs/rules.md, section 3):
    《全国年节及纪念日放假办法》 gives those days off every year, whatever the year's 调休 adds around them."""
    for day in sorted(settings.extra_workdays):
        holiday = statutory_holiday(day)
        if holiday is not None:
            raise ConfigError("{source}: calendar.workdays: {day} is a statutory holiday ({holiday}, "
                              "《全国年节及纪念日放假办法》) and cannot be a working day", source=settings.source,
                              day=day, holiday=Said(holiday.value))


@dataclass
class App:
    config_path: Path | None = None
    _settings: Settings | None = field(default=None, repr=False)

    @cached_property
    def settings(self) -> Settings:
        settings = self._settings or load_settings(self.config_path)
        refuse_statutory_workdays(settings)
        return settings

    @cached_property
    def packs(self) -> dict[str, Pack]:
        """The packs, each standard's indicators checked against the vocabulary."""
        packs = load_packs(self.settings.packs_dir, self.settings.pack_overrides)
        check_standards(packs.values(), self.vocabulary)
        return packs

    @cached_property
    def vocabulary(self) -> Vocabulary:
        """The indicators of annual monitoring: the bundled ones and those of ``general.indicators_dir``."""
        return load_vocabulary(self.settings.indicators_dir)

    @cached_property
    def calendar(self) -> WorkCalendar:
        return WorkCalendar.load(self.settings.extra_holidays, self.settings.extra_workdays)

    @cached_property
    def engine(self) -> Engine:
        """SQLAlchemy's engine, the schema brought up to date (imported only by what writes or uses PostgreSQL)."""
        from sqlalchemy.exc import DBAPIError

        from db.session import ensure_schema, make_engine, masked

        url = self.settings.database_url
        engine = make_engine(url)
        try:
            ensure_schema(engine)
        except DBAPIError as exc:
            first = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
            raise ConfigError("database '{url}' cannot be used: {reason}", url=masked(url),
                              reason=masked(first)) from None
        return engine

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        from db.session import session_factory

        return session_factory(self.engine)

    @property
    def database(self) -> str:
        """The database in use, fit to print: the SQLite file's path, or the URL without its password."""
        from db.read import sqlite_path

        url = self.settings.database_url
        path = sqlite_path(url)
        if path is not None:
            return str(path)
        from db.session import masked

        return masked(url)

    @cached_property
    def reader(self) -> Reader:
        """Read connections through the driver (sqlite3 itself for SQLite), on a schema that is up to date. A
        command that only reads never creates a database: an SQLite file that is not there is an error."""
        self.require_database()
        reader = Reader(self.settings.database_url, lambda: self.engine)
        if reader.path is None or reader.current_revision() != HEAD:
            self.engine  # noqa: B018 - creates or upgrades the schema
        return reader

    def require_database(self) -> None:
        """For a command that only reads: an SQLite file that is not there is an error, never created empty."""
        from db.read import sqlite_path

        path = sqlite_path(self.settings.database_url)
        if path is not None and str(path) != ":memory:" and not path.exists() and "engine" not in self.__dict__:
            raise ConfigError("no database at {path}: run monitor import FILE first, or set [database] url in "
                              "{source} (or MONITOR_DATABASE_URL)", path=path,
                              source=Said(DEFAULT_SOURCE) if self.settings.source == DEFAULT_SOURCE else self.settings.source)

    def close(self) -> None:
        """Release the database connections, if any were opened."""
        if "engine" in self.__dict__:
            self.engine.dispose()

    def today(self) -> dt.date:
        return clock.today(self.settings.timezone)

    def monitoring_from(self, conn: Reads | None = None) -> dt.date | None:
        """The baseline (监测起始日, docs/rules.md): config's ``general.monitoring_from`` when set, else the one
        ``monitor import --from D`` stored in the database, else None (no baseline). Read on ``conn`` when given."""
        if self.settings.monitoring_from is not None:
            return self.settings.monitoring_from
        from db.queries import stored_baseline

        if conn is not None:
            return stored_baseline(conn)
        with self.reader.connect() as reads:
            return stored_baseline(reads)

    def pack(self, regime: str) -> Pack:
        try:
            return self.packs[regime]
        except KeyError:
            raise InputError("regime {regime!r} is not loaded (known: {known})", regime=regime,
                             known=", ".join(sorted(self.packs))) from None
