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
from db.read import Reader
from monitor import clock
from monitor.config import Settings, load_settings
from monitor.errors import InputError
from monitor.rules.packs import Pack, load_packs
from monitor.rules.workdays import WorkCalendar

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker


def who() -> str:
    """Who records a fact: MONITOR_USER, else the login name."""
    try:
        return os.environ.get("MONITOR_USER") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@dataclass
class App:
    config_path: Path | None = None
    _settings: Settings | None = field(default=None, repr=False)

    @cached_property
    def settings(self) -> Settings:
        return self._settings or load_settings(self.config_path)

    @cached_property
    def packs(self) -> dict[str, Pack]:
        return load_packs(self.settings.packs_dir, self.settings.pack_overrides)

    @cached_property
    def calendar(self) -> WorkCalendar:
        return WorkCalendar.load(self.settings.extra_holidays, self.settings.extra_workdays)

    @cached_property
    def engine(self) -> Engine:
        """SQLAlchemy's engine, the schema brought up to date (imported only by what writes or uses PostgreSQL)."""
        from db.session import ensure_schema, make_engine

        engine = make_engine(self.settings.database_url)
        ensure_schema(engine)
        return engine

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        from db.session import session_factory

        return session_factory(self.engine)

    @cached_property
    def reader(self) -> Reader:
        """Read connections through the driver (sqlite3 itself for SQLite), on a schema that is up to date."""
        reader = Reader(self.settings.database_url, lambda: self.engine)
        if reader.path is None or reader.current_revision() != HEAD:
            self.engine  # noqa: B018 - creates or upgrades the schema
        return reader

    def close(self) -> None:
        """Release the database connections, if any were opened."""
        if "engine" in self.__dict__:
            self.engine.dispose()

    def today(self) -> dt.date:
        return clock.today(self.settings.timezone)

    def pack(self, regime: str) -> Pack:
        try:
            return self.packs[regime]
        except KeyError:
            raise InputError(f"regime {regime!r} is not loaded (known: {', '.join(sorted(self.packs))})") from None
