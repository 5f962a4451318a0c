"""`monitor history`: a cluster's record, oldest first, as lines for people or one JSON document."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from monitor.rules.checks import number
from monitor.rules.facts import Cluster
from monitor.rules.history import Entry
from monitor.rules.texts import one_line


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


def said(entry: Entry) -> str:
    """What an entry says, in one line (history's lines, the console's timeline): whatever a stored text holds
    (one stored before free texts were checked), its control characters are printed as escapes."""
    return one_line(_said(entry))


def _said(entry: Entry) -> str:
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
    sent = f" {_value(f['sent_at'])}" if f["sent_at"] else ""
    late = " late" if f["late"] else ""
    message = f" <{f['message_id']}>" if f["message_id"] else ""
    return (f"reminder {f['subject']} {f['stage']} (crossed {_value(f['day'])}{late}) to {f['recipient']}: "
            f"{f['state']}{sent}{message}")


def history_lines(cluster: Cluster, entries: Sequence[Entry], known_at: dt.datetime | None) -> list[str]:
    """One line an entry: when (UTC), who, what."""
    head = one_line(f"{cluster.id} {cluster.name} ({cluster.regime})") + (
        f", as the record stood at {known_at.isoformat(timespec='seconds')}" if known_at else "")
    lines = [head]
    lines.extend(f"{e.at.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S}Z  {one_line(e.by or 'daemon'):<12} {said(e)}"
                 for e in entries)
    if not entries:
        lines.append("(nothing recorded)")
    return lines
