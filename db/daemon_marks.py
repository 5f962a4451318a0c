"""The daemons' own marks (``daemon_state``): when a scan or a round last ran, and each daemon's heartbeat."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import DaemonRow
from db.queries import aware
from db.session import dialect_insert


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


def detail(session: Session, name: str) -> str | None:
    """What a mark says besides when (a daemon's state, a drill database's folder)."""
    return session.execute(select(DaemonRow.detail).where(DaemonRow.name == name)).scalar()
