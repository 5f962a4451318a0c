"""Wiring for the doors (CLI, daemon, web): settings, database, packs and calendar, built once and only when needed."""

from __future__ import annotations

import datetime as dt
import getpass
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from db.session import ensure_schema, make_engine, session_factory
from monitor import clock
from monitor.config import Settings, load_settings
from monitor.errors import InputError
from monitor.rules.packs import Pack, load_packs
from monitor.rules.workdays import WorkCalendar


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
        engine = make_engine(self.settings.database_url)
        ensure_schema(engine)
        return engine

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return session_factory(self.engine)

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
