"""Acknowledgements, snoozes and what the daemon has done: written by `ack`/`snooze`, read by `status`."""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import AckRow, DaemonRow, DeliveryRow, MessageRow, SnoozeRow
from monitor.errors import InputError
from monitor.verdict import Verdict

#: a daemon whose heartbeat is older than this is reported as not running
HEARTBEAT_STALE = dt.timedelta(minutes=5)

HOLDS: dict[str, type[AckRow | SnoozeRow]] = {"ack": AckRow, "snooze": SnoozeRow}


class Hold(NamedTuple):
    kind: str               # ack | snooze
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
        noun = "warning"
    else:
        keys = [(o.key, o.kind) for o in verdict.obligations if o.is_open]
        noun = "open obligation"
    exact = [key for key, _ in keys if key == given]
    by_code = [key for key, code in keys if code == given]
    if exact:
        return exact[0]
    if len(by_code) == 1:
        return by_code[0]
    known = ", ".join(key for key, _ in keys) or "none"
    if by_code:
        raise InputError(f"{verdict.cluster_id}: {given!r} names {len(by_code)} {noun}s, give one key: {known}")
    raise InputError(f"{verdict.cluster_id}: no {noun} {given!r} (it has: {known})")


def record_hold(session: Session, kind: str, cluster_id: str, subject: str, until: dt.date, note: str,
                today: dt.date, who: str, now: dt.datetime) -> None:
    if until < today:
        raise InputError(f"--until {until}: is before today ({today})")
    if not note.strip():
        raise InputError("--note: say why (it is recorded with who and when)")
    session.add(HOLDS[kind](cluster_id=cluster_id, subject=subject, until=until, note=note.strip(),
                            recorded_at=now, recorded_by=who))


def active_holds(session: Session, day: dt.date) -> list[Hold]:
    """Acks and snoozes in force on ``day``, the newest per subject."""
    found: dict[tuple[str, str, str], Hold] = {}
    for kind, table in HOLDS.items():
        rows = session.execute(select(table.cluster_id, table.subject, table.until, table.note, table.recorded_by,
                                      table.recorded_at).where(table.until >= day).order_by(table.recorded_at))
        for row in rows:
            found[(kind, row[0], row[1])] = Hold(kind, *row)
    return sorted(found.values(), key=lambda h: (h.cluster_id, h.subject))


def daemon_summary(session: Session, now: dt.datetime, timezone: str) -> dict[str, Any]:
    """When the daemon last scanned and sent, whether one is running, and what waits to be sent."""
    marks = dict(session.execute(select(DaemonRow.name, DaemonRow.at)).all())
    beats = [(name.removeprefix("daemon:"), at, detail) for name, at, detail in
             session.execute(select(DaemonRow.name, DaemonRow.at, DaemonRow.detail)
                             .where(DaemonRow.name.like("daemon:%")))]
    running = [name for name, at, detail in beats
               if detail == "running" and dt.timedelta(0) <= now - aware(at) <= HEARTBEAT_STALE]
    deliveries = dict(session.execute(select(DeliveryRow.state, func.count()).group_by(DeliveryRow.state)).all())
    messages = dict(session.execute(select(MessageRow.state, func.count()).group_by(MessageRow.state)).all())
    return {
        "last_scan": _iso(marks.get("scan"), timezone),
        "last_round": _iso(marks.get("round"), timezone),
        "running": sorted(running),
        "waiting": deliveries.get("pending", 0) + deliveries.get("queued", 0),
        "messages_waiting": messages.get("claimed", 0) + messages.get("retry", 0),
        "failed": deliveries.get("failed", 0),
        "sent": deliveries.get("sent", 0),
    }


def aware(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive UTC date-times; PostgreSQL aware ones."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _iso(value: dt.datetime | None, timezone: str) -> str | None:
    return None if value is None else aware(value).astimezone(ZoneInfo(timezone)).isoformat(timespec="seconds")
