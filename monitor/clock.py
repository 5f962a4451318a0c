"""The one place monitor reads the clock. Everything else takes a date or a datetime as a parameter."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def today(timezone: str) -> dt.date:
    """The calendar date in the configured time zone (default Asia/Shanghai)."""
    return now_utc().astimezone(ZoneInfo(timezone)).date()
