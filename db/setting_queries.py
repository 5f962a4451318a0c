"""Department-wide settings stored in the database (``setting``, migration 0012): the baseline (监测起始日)
that ``monitor import --from D`` sets (read by db.queries.stored_baseline, which imports nothing of SQLAlchemy)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete
from sqlalchemy.orm import Session

from db.models import ScanWatchRow, SettingRow
from db.queries import MONITORING_FROM
from db.session import dialect_insert


def store_baseline(session: Session, day: dt.date, who: str, now: dt.datetime) -> None:
    """Store the baseline (replacing any), and empty the scan's watch list: what is overdue and what is
    unrecorded moves with it, so the daemon's next scan evaluates every cluster again."""
    table = SettingRow.__table__
    stmt = dialect_insert(session.connection(), table).values(name=MONITORING_FROM, value=day.isoformat(),
                                                            set_at=now, set_by=who)
    session.execute(stmt.on_conflict_do_update(index_elements=["name"], set_={
        "value": stmt.excluded.value, "set_at": stmt.excluded.set_at, "set_by": stmt.excluded.set_by}))
    session.execute(delete(ScanWatchRow).execution_options(synchronize_session=False))
