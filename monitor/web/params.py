"""Values typed into a URL or a form, read as the command line reads them (InputError names the field)."""

from __future__ import annotations

import datetime as dt

from monitor.errors import InputError, said_of
from monitor.rules.dates import parse_date


def day(text: str | None, name: str) -> dt.date | None:
    """A day (``2026-11-23``, ``2026/11/23``, ``2026年11月23日``), or None when blank."""
    if not text:
        return None
    try:
        return parse_date(text)
    except ValueError as exc:
        raise InputError("{field}: {problem}", field=name, problem=said_of(exc)) from None
