"""Queries on the reminder ledger and its holds: what is held quiet, what the daemons did, what waits."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import AckRow, DaemonRow, DeliveryRow, MessageRow, SnoozeRow
from db.session import dialect_insert
from monitor.rules.holds import Hold
from monitor.rules.states import DeliveryState, MessageState

#: a daemon whose heartbeat is older than this is reported as not running
HEARTBEAT_STALE = dt.timedelta(minutes=5)


def active_holds(session: Session, day: dt.date) -> list[Hold]:
    """Acks and snoozes in force on ``day``, the newest per subject."""
    found: dict[tuple[str, str, str], Hold] = {}
    for kind, table in (("ack", AckRow), ("snooze", SnoozeRow)):
        rows = session.execute(select(table.cluster_id, table.subject, table.until, table.note, table.recorded_by,
                                      table.recorded_at).where(table.until >= day).order_by(table.recorded_at))
        for row in rows:
            found[(kind, row[0], row[1])] = Hold(kind, *row)
    return sorted(found.values(), key=lambda h: (h.cluster_id, h.subject))


def running_daemons(session: Session, now: dt.datetime) -> list[str]:
    """The daemons whose last heartbeat says running and is at most HEARTBEAT_STALE old."""
    beats = session.execute(select(DaemonRow.name, DaemonRow.at, DaemonRow.detail)
                            .where(DaemonRow.name.like("daemon:%")))
    return sorted(name.removeprefix("daemon:") for name, at, detail in beats
                  if detail == "running" and dt.timedelta(0) <= now - aware(at) <= HEARTBEAT_STALE)


def daemon_summary(session: Session, now: dt.datetime, timezone: str) -> dict[str, Any]:
    """When the daemon last scanned and sent, whether one is running, and what waits to be sent."""
    marks = dict(session.execute(select(DaemonRow.name, DaemonRow.at)).all())
    deliveries = dict(session.execute(select(DeliveryRow.state, func.count()).group_by(DeliveryRow.state)).all())
    messages = dict(session.execute(select(MessageRow.state, func.count()).group_by(MessageRow.state)).all())
    return {
        "last_scan": _iso(marks.get("scan"), timezone),
        "last_round": _iso(marks.get("round"), timezone),
        "running": running_daemons(session, now),
        "waiting": deliveries.get(DeliveryState.PENDING, 0) + deliveries.get(DeliveryState.QUEUED, 0),
        "messages_waiting": messages.get(MessageState.CLAIMED, 0) + messages.get(MessageState.RETRY, 0),
        "failed": deliveries.get(DeliveryState.FAILED, 0),
        "sent": deliveries.get(DeliveryState.SENT, 0),
    }


def mark(session: Session, name: str, now: dt.datetime, day: dt.date | None, detail: str | None = None) -> None:
    """Remember when a scan, a round or a daemon last ran (one row per name)."""
    stmt = dialect_insert(session.connection(), DaemonRow.__table__).values(name=name, at=now, day=day, detail=detail)
    session.execute(stmt.on_conflict_do_update(index_elements=["name"], set_={"at": now, "day": day, "detail": detail}))


def last_day(session: Session, name: str) -> dt.date | None:
    """The day a scan or round (``name``) last ran for."""
    return session.execute(select(DaemonRow.day).where(DaemonRow.name == name)).scalar()


def last_at(session: Session, name: str) -> dt.datetime | None:
    """When a scan or round (``name``) last ran, aware."""
    at = session.execute(select(DaemonRow.at).where(DaemonRow.name == name)).scalar()
    return None if at is None else aware(at)


def aware(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive UTC date-times; PostgreSQL aware ones."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _iso(value: dt.datetime | None, timezone: str) -> str | None:
    return None if value is None else aware(value).astimezone(ZoneInfo(timezone)).isoformat(timespec="seconds")
