"""What a person keeps for messages to them (README, "Messages to a person"; monitor/rules/personal.py): the ids
their 企业微信, 钉钉 and 飞书 apps address them by (set by an administrator, on the Users page or with `monitor user
set`, or by the person on their Profile), the personal channels they turned off, their window and whether they
want a digest a round or one a day. Checked here, for every path; stored on the account (migration 0016)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from monitor.actions.accounts import _row
from monitor.errors import InputError
from monitor.rules.personal import EVERY, ID_FIELDS

#: what an id may be: printable, no space, and none of the separators the services read a list of ids by
#: (企业微信's touser "a|b", 钉钉's userid_list "a,b"): one id reaches one person
_ID = re.compile(r"^[^\s|,;]{1,64}$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclass(frozen=True)
class Reach:
    """A person's settings for messages to them."""
    ids: Mapping[str, str] = field(default_factory=lambda: dict.fromkeys(ID_FIELDS, ""))
    muted: tuple[str, ...] = ()
    window_from: str = "09:00"
    window_until: str = "18:00"
    window_workdays: bool = True
    every: str = "round"


def reach_of(session: Session, name: str) -> Reach:
    row = _row(session, name)
    return Reach({f: getattr(row, f) or "" for f in ID_FIELDS},
                 tuple(part for part in (row.muted_channels or "").split(",") if part),
                 row.window_from, row.window_until, bool(row.window_workdays), row.digest_every)


def checked_ids(ids: Mapping[str, str]) -> dict[str, str]:
    """The ids given (a field left out is kept as it is; blank clears it), each one person's id."""
    found: dict[str, str] = {}
    for name, value in ids.items():
        if name not in ID_FIELDS:
            raise InputError("{field}: not an id field (one of {fields})", field=name, fields=", ".join(ID_FIELDS))
        value = value.strip()
        if value and not _ID.match(value):
            raise InputError("{field} {value!r}: at most 64 characters, without spaces and without | , ;",
                             field=name, value=value[:40])
        found[name] = value
    return found


def save_ids(session: Session, name: str, ids: Mapping[str, str]) -> Reach:
    """Set some of an account's ids (blank: none)."""
    row = _row(session, name)
    for key, value in checked_ids(ids).items():
        setattr(row, key, value)
    return reach_of(session, name)


def save_reach(session: Session, name: str, given: Reach, channels: Sequence[str]) -> Reach:
    """A person's settings, checked: ids as ``save_ids``, a window of two times HH:MM (different; a window
    across midnight is allowed), ``every`` round or day, and only configured personal channels turned off."""
    for key, value in (("window_from", given.window_from), ("window_until", given.window_until)):
        if not _TIME.match(value.strip()):
            raise InputError("{field} {value!r}: a time of day, HH:MM", field=key, value=value[:20])
    if given.window_from.strip() == given.window_until.strip():
        raise InputError("the window from {start} until {end} is empty: give two different times",
                         start=given.window_from, end=given.window_until)
    if given.every not in EVERY:
        raise InputError("every {value!r}: one of {choices}", value=given.every[:20], choices=", ".join(EVERY))
    unknown = sorted(set(given.muted) - set(channels))
    if unknown:
        raise InputError("channel {name!r}: no personal channel of that name in config.toml", name=unknown[0])
    ids = checked_ids(given.ids)
    row = _row(session, name)
    for key, value in ids.items():
        setattr(row, key, value)
    row.muted_channels = ",".join(sorted(set(given.muted)))
    row.window_from, row.window_until = given.window_from.strip(), given.window_until.strip()
    row.window_workdays, row.digest_every = given.window_workdays, given.every
    return reach_of(session, name)


def window_text(reach: Reach) -> str:
    return f"{reach.window_from}-{reach.window_until}"


def parse_window_option(text: str) -> tuple[str, str]:
    """``--window 09:00-18:00`` as its two times (checked by save_reach)."""
    start, dash, end = text.partition("-")
    if not dash:
        raise InputError("--window {value!r}: two times, HH:MM-HH:MM", value=text[:20])
    return start.strip(), end.strip()
