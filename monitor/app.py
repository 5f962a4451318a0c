"""Wiring: settings, database, packs and calendar, built once per command and only when needed."""

from __future__ import annotations

import datetime as dt
import getpass
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from db.repository import id_ranges, load_facts
from db.session import ensure_schema, make_engine, session_factory
from monitor import clock
from monitor.config import Settings, load_settings
from monitor.engine import evaluate
from monitor.errors import InputError
from monitor.facts import Facts
from monitor.packs import Pack, load_packs
from monitor.verdict import Verdict
from monitor.workdays import WorkCalendar


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

    def evaluate_all(self, as_of: dt.date, cluster_ids: Sequence[str] | None = None, regime: str | None = None,
                     id_range: tuple[str | None, str | None] = (None, None)) -> list[tuple[Facts, Verdict]]:
        if regime is not None:
            self.pack(regime)
        with self.engine.connect() as conn:
            all_facts = load_facts(conn, cluster_ids, regime, id_range)
        calendar = self.calendar
        return [(facts, evaluate(self.pack(facts.cluster.regime), facts, as_of, calendar)) for facts in all_facts]

    def evaluate_slices(self, as_of: dt.date, cluster_ids: Sequence[str] | None = None,
                        regime: str | None = None) -> Iterator[list[tuple[Facts, Verdict]]]:
        """The roster (or the clusters asked for) evaluated a slice at a time, in id order: memory stays bounded."""
        if cluster_ids is not None:
            yield self.evaluate_all(as_of, cluster_ids, regime)
            return
        with self.engine.connect() as conn:
            ranges = id_ranges(conn)
        for id_range in ranges:
            yield self.evaluate_all(as_of, None, regime, id_range)
