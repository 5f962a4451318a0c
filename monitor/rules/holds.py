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


def matching(verdict: Verdict, kind: str, code: str) -> list[str]:
    """The keys a bulk hold takes of one cluster: every warning with ``code`` (ack), or every open obligation of
    kind ``code`` (snooze); a key given whole matches itself."""
    if kind == "ack":
        return [w.key for w in verdict.warnings if code in (w.code, w.key)]
    return [o.key for o in verdict.obligations if o.is_open and code in (o.kind, o.key)]


def codes_of(verdicts: list[Verdict], kind: str) -> list[str]:
    """The warning codes (ack) or open obligation kinds (snooze) ``verdicts`` have, for a refusal to list."""
    if kind == "ack":
        return sorted({w.code for v in verdicts for w in v.warnings})
    return sorted({o.kind for v in verdicts for o in v.obligations if o.is_open})
