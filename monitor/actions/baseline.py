"""The baseline (监测起始日, docs/rules.md, "Baseline"): ``monitor import --from D`` stores it in the database, so
the daemon, the console and every command see the same day. config.toml's ``general.monitoring_from``, when set,
wins: a different day given to ``--from`` is refused rather than stored and silently ignored."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from db.setting_queries import store_baseline
from monitor.errors import InputError


def set_baseline(session: Session, day: dt.date, configured: dt.date | None, today: dt.date, who: str,
                 now: dt.datetime) -> None:
    """Store ``day`` as the baseline, in the caller's transaction; refused when it is after ``today`` or when
    config.toml sets another."""
    if day > today:
        raise InputError("--from: {day} is after today ({today}): the baseline is the day monitoring began",
                         day=day, today=today)
    if configured is not None and configured != day:
        raise InputError("--from: config.toml sets general.monitoring_from = {configured}, which wins: change it "
                         "there, or give --from {configured}", configured=configured)
    store_baseline(session, day, who, now)
