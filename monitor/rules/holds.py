"""Acknowledgements and snoozes as values, and which warning or obligation a user means by what they typed."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from monitor.errors import InputError
from monitor.rules.verdict import Verdict

KINDS = ("ack", "snooze")


class Hold(NamedTuple):
    """A subject held quiet: its reminders stop until (and including) ``until``."""
    kind: str               # ack (a warning) | snooze (an obligation)
    cluster_id: str
    subject: str
    until: dt.date
    note: str
    recorded_by: str
    recorded_at: dt.datetime


def resolve_subject(verdict: Verdict, kind: str, given: str) -> str:
    """The warning (ack) or open obligation (snooze) key meant by ``given``: a key, or a code/kind that names
    exactly one. Errors list what the cluster has."""
    if kind == "ack":
        keys = [(w.key, w.code) for w in verdict.warnings]
        many, none = ("{id}: {given!r} names {count} warnings, give one key: {known}",
                      "{id}: no warning {given!r} (it has: {known})")
    else:
        keys = [(o.key, o.kind) for o in verdict.obligations if o.is_open]
        many, none = ("{id}: {given!r} names {count} open obligations, give one key: {known}",
                      "{id}: no open obligation {given!r} (it has: {known})")
    exact = [key for key, _ in keys if key == given]
    by_code = [key for key, code in keys if code == given]
    if exact:
        return exact[0]
    if len(by_code) == 1:
        return by_code[0]
    known = ", ".join(key for key, _ in keys) or "-"
    raise InputError(many if by_code else none, id=verdict.cluster_id, given=given, count=len(by_code), known=known)
