"""`monitor history`: a cluster's record, oldest first, as lines for people or one JSON document."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from monitor.rules.checks import number
from monitor.rules.facts import Cluster
from monitor.rules.history import Entry
from monitor.rules.texts import one_line
from monitor.views.times import person_time


def _value(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _shown(value: object) -> object:
    """A value in a history line: an indicator value or a target as people write it (46, 41.5), else _value's."""
    return number(value) if isinstance(value, float) else _value(value)


def history_json(cluster: Cluster, entries: Sequence[Entry], known_at: dt.datetime | None) -> dict[str, Any]:
    """``{"cluster": …, "known_at": …, "entries": [{"at", "type", "by", …what it says}]}``."""
    return {
        "cluster": {"id": cluster.id, "name": cluster.name, "regime": cluster.regime},
        "known_at": _value(known_at),
        "entries": [{"at": _value(e.at), "type": e.type, "by": e.by, **{k: _value(v) for k, v in e.fields.items()}}
                    for e in entries],
    }


def said(entry: Entry, zone: str | dt.tzinfo) -> str:
    """What an entry says, in one line (history's lines, the console's timeline), its times in ``zone``: whatever
    a stored text holds (one stored before free texts were checked), its control characters are printed as
    escapes."""
    return one_line(_said(entry, zone))


def _said(entry: Entry, zone: str | dt.tzinfo) -> str:
    f = entry.fields
    if entry.type == "fact":
        values = " ".join(f"{name}={_shown(f[name])}" for name in f
                          if name not in ("number", "kind", "state", "replaces", "by_fact", "reason")
                          and f[name] is not None)
        if f["state"] == "retraction":
            head = f"fact {f['number']} retracts fact {f['replaces']}"
        else:
            head = f"fact {f['number']} {f['kind']} {values}" + (
                f" (amends fact {f['replaces']})" if f["replaces"] is not None else "")
            head += f" [{f['state']}" + (f" by fact {f['by_fact']}]" if f["by_fact"] is not None else "]")
        return head + (f": {f['reason']}" if f["reason"] else "")
    if entry.type == "archive":
        return f"{'archived' if f['archived'] else 'back on the roster'}: {f['reason']}"
    if entry.type in ("ack", "snooze"):
        return f"{entry.type} {f['subject']} until {_value(f['until'])}: {f['note']}"
    sent_at = f["sent_at"]
    sent = f" {person_time(sent_at, zone)}" if isinstance(sent_at, dt.datetime) else ""
    late = " late" if f["late"] else ""
    message = f" <{f['message_id']}>" if f["message_id"] else ""
    return (f"reminder {f['subject']} {f['stage']} (crossed {_value(f['day'])}{late}) to {f['recipient']}: "
            f"{f['state']}{sent}{message}")


def history_lines(cluster: Cluster, entries: Sequence[Entry], known_at: dt.datetime | None,
                  timezone: str) -> list[str]:
    """One line an entry: when (in ``timezone``, the configured zone, with its offset: what ``--known-at``
    takes back), who, what."""
    head = one_line(f"{cluster.id} {cluster.name} ({cluster.regime})") + (
        f", as the record stood at {person_time(known_at, timezone)}" if known_at else "")
    lines = [head]
    lines.extend(f"{person_time(e.at, timezone)}  {one_line(e.by or 'daemon'):<12} {said(e, timezone)}"
                 for e in entries)
    if not entries:
        lines.append("(nothing recorded)")
    return lines
