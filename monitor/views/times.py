"""One clock for people: every time a person reads (history, the status footer, the console, user list, the
printed report, the messages naming when a fact was corrected) is written in the configured zone with its
offset, ``2026-11-23 09:00:00+08:00``; and ``--known-at`` reads exactly that back (or any ISO 8601 time, ``Z``
included). Machine fields (JSON, the log file, a mail's Date header) keep their own forms; the digest, the mails
and the calendars name days, not times."""

from __future__ import annotations

import datetime as dt
import re

from monitor.rules.moments import person_time

__all__ = ["person_time", "person_time_of", "read_moment"]

#: a moment's clock as written (after the date and its ``T`` or space): hours, minutes, seconds, fraction
_CLOCK = re.compile(r"(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?([.,]\d+)?")


def person_time_of(iso: str | None) -> str | None:
    """An ISO time a machine field gives in the configured zone with its offset (the daemon's last scan and
    round, ``2026-11-23T09:00:00+08:00``) as a person reads it: ``2026-11-23 09:00:00+08:00``."""
    return None if iso is None else dt.datetime.fromisoformat(iso).isoformat(sep=" ", timespec="seconds")


def read_moment(text: str) -> dt.datetime:
    """A moment typed by a person: what :func:`person_time` writes, any ISO 8601 time (offset or ``Z``; ``T`` or a
    space), or a bare date. It stands for the whole unit it is written to: a date is the end of that day, a
    time to the second the end of that second (so the time ``history`` prints for an entry includes the entry),
    to the minute the end of that minute; with a fraction of a second, that instant. Without an offset the
    result is naive: the caller reads it in the configured zone. ``ValueError`` when it is none of these."""
    text = text.strip()
    if len(text) == 10:
        return dt.datetime.combine(dt.date.fromisoformat(text), dt.time.max)
    at = dt.datetime.fromisoformat(text)
    clock = _CLOCK.match(text[11:]) if len(text) > 11 and text[10] in "Tt " else None
    if clock is None:
        return at
    _hours, minutes, seconds, fraction = clock.groups()
    if fraction:
        return at
    unit = dt.timedelta(seconds=1) if seconds else dt.timedelta(minutes=1) if minutes else dt.timedelta(hours=1)
    return at + unit - dt.timedelta(microseconds=1)
