"""A cluster's history as plain values: every version of every fact, archiving, acks and snoozes, and the
reminders owed and sent, oldest first. ``at`` orders them; ``known_at`` cuts the record where it stood."""

from __future__ import annotations

import datetime as dt
import heapq
from typing import NamedTuple

from monitor.rules.facts import FIELDS, NAMES, Version


class Entry(NamedTuple):
    at: dt.datetime                 # when it was recorded (UTC)
    type: str                       # fact | archive | ack | snooze | reminder
    by: str | None                  # who recorded it (None: the daemon)
    fields: dict[str, object]       # what it says, by name


def fact_state(version: Version, later: Version | None) -> str:
    """``current``, ``superseded`` or ``retracted`` (by ``later``), or ``retraction`` (it withdraws another)."""
    if version.retracts:
        return "retraction"
    if later is None:
        return "current"
    return "retracted" if later.retracts else "superseded"


def fact_entries(versions: list[Version]) -> list[Entry]:
    """Each version with its state among ``versions`` (those recorded by the moment the history is cut at)."""
    later = {v.replaces: v for v in versions if v.replaces is not None}
    entries = []
    for v in versions:
        successor = later.get(v.number)
        fields: dict[str, object] = {"number": v.number, "kind": v.fact.kind}
        fields.update((NAMES[v.fact.kind][name], getattr(v.fact, name)) for name in FIELDS[v.fact.kind])
        fields.update(state=fact_state(v, successor), replaces=v.replaces,
                      by_fact=successor.number if successor is not None else None, reason=v.reason)
        entries.append(Entry(v.recorded_at, "fact", v.recorded_by, fields))
    return entries


def in_order(entries: list[Entry], known_at: dt.datetime | None = None) -> list[Entry]:
    """Oldest first (facts in number order among themselves: two clocks may disagree, the numbers do not); only
    what was recorded by ``known_at``, when given."""
    kept = [e for e in entries if known_at is None or e.at <= known_at]
    facts = sorted((e for e in kept if e.type == "fact"), key=lambda e: e.fields["number"])  # type: ignore[arg-type,return-value]
    others = sorted((e for e in kept if e.type != "fact"), key=lambda e: e.at)
    return list(heapq.merge(facts, others, key=lambda e: e.at))
