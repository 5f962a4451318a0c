"""How a person reads a moment: in the configured zone, with its offset, to the second (``2026-11-23
09:00:00+08:00``). Here, in the pure layer, so that the actions' messages write times as the views do;
monitor/views/times.py gives it to the views with what reads such a time back."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def person_time(at: dt.datetime, timezone: str | dt.tzinfo) -> str:
    """``at`` as a person reads it: ``2026-11-23 09:00:00+08:00``, in ``timezone`` (the configured zone), to the
    second. A naive ``at`` is taken as UTC (what the database keeps)."""
    aware = at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)
    zone = ZoneInfo(timezone) if isinstance(timezone, str) else timezone
    return aware.astimezone(zone).isoformat(sep=" ", timespec="seconds")
