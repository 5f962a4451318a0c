"""The one place monitor reads the clock. Everything else takes a date or a datetime as a parameter.

``MONITOR_NOW`` (an ISO date-time with its offset, e.g. ``2027-03-01T09:00+08:00``) makes the clock start at
that instant and run on from there: for drills ("what would the daemon send that morning?") and for tests that
run the real daemon across many days.
"""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

from monitor.errors import ConfigError


def _offset() -> dt.timedelta:
    value = os.environ.get("MONITOR_NOW")
    if not value:
        return dt.timedelta(0)
    try:
        start = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError("MONITOR_NOW: {value!r} is not an ISO date-time such as 2027-03-01T09:00+08:00",
                          value=value) from None
    if start.tzinfo is None:
        raise ConfigError("MONITOR_NOW: {value!r} needs its UTC offset, such as +08:00", value=value)
    return start - dt.datetime.now(dt.UTC)


_offsets: list[dt.timedelta] = []


def now_utc() -> dt.datetime:
    if not _offsets:
        _offsets.append(_offset())
    return dt.datetime.now(dt.UTC) + _offsets[0]


def today(timezone: str) -> dt.date:
    """The calendar date in the configured time zone (default Asia/Shanghai)."""
    return now_utc().astimezone(ZoneInfo(timezone)).date()


#: how far ahead of the real time the clock may be and still send (a MONITOR_NOW set a moment ago)
AHEAD_TOLERANCE = dt.timedelta(minutes=1)


def ahead() -> dt.timedelta | None:
    """How far ``MONITOR_NOW`` puts the clock ahead of the real time, beyond AHEAD_TOLERANCE; None if it is not.
    A send is refused then (docs/rules.md, "Drills"), except on a drill database."""
    now_utc()
    return _offsets[0] if _offsets[0] > AHEAD_TOLERANCE else None


def real_utc() -> dt.datetime:
    """The machine's own time, never moved by ``MONITOR_NOW``: what other services date their tokens by (an
    identity provider's ID token is checked against it: monitor.web.identity_providers)."""
    return dt.datetime.now(dt.UTC)
