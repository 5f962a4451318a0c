"""Department-wide settings stored in the database (``setting``, migration 0012): the baseline (监测起始日)
that ``monitor import --from D`` sets."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete
from sqlalchemy.orm import Session

from db.models import ScanWatchRow, SettingRow
from db.read import Reads
from db.session import dialect_insert

MONITORING_FROM = "monitoring_from"


def stored_baseline(conn: Reads) -> dt.date | None:
    """The baseline ``monitor import --from`` stored, None when none was."""
    rows = conn.all("SELECT value FROM setting WHERE name = :name", {"name": MONITORING_FROM})
    return dt.date.fromisoformat(rows[0][0]) if rows else None


def store_baseline(session: Session, day: dt.date, who: str, now: dt.datetime) -> None:
    """Store the baseline (replacing any), and empty the scan's watch list: what is overdue and what is
    unrecorded moves with it, so the daemon's next scan evaluates every cluster again."""
    table = SettingRow.__table__
    stmt = dialect_insert(session.connection(), table).values(name=MONITORING_FROM, value=day.isoformat(),
                                                            set_at=now, set_by=who)
    session.execute(stmt.on_conflict_do_update(index_elements=["name"], set_={
        "value": stmt.excluded.value, "set_at": stmt.excluded.set_at, "set_by": stmt.excluded.set_by}))
    session.execute(delete(ScanWatchRow).execution_options(synchronize_session=False))
