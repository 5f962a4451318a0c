"""The scan's reads and writes of the reminder ledger (jobs/scan.py decides what is owed).

A reminder is unique by (cluster, subject, stage) and a delivery by (reminder, recipient); both are inserted
with ON CONFLICT DO NOTHING, so a scan run twice, or in two daemons at once, records each once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.sql import func

from db.models import DeliveryRow, ReminderRow
from db.session import insert_ignoring_duplicates
from monitor.rules.states import DeliveryState


class NewReminder(NamedTuple):
    id: int
    cluster_id: str
    subject: str
    stage: str
    late: bool


def crossed_days(session: Session, cluster_ids: Sequence[str]) -> dict[tuple[str, str], tuple[dt.date, dt.date]]:
    """For each (cluster, subject) of these clusters: the first and the newest day a stage was crossed."""
    query = (select(ReminderRow.cluster_id, ReminderRow.subject, func.min(ReminderRow.crossed_on),
                    func.max(ReminderRow.crossed_on)).where(ReminderRow.cluster_id.in_(cluster_ids))
             .group_by(ReminderRow.cluster_id, ReminderRow.subject))
    return {(cid, subject): (_day(first), _day(newest)) for cid, subject, first, newest in session.execute(query)}


def _day(value: Any) -> dt.date:
    """An aggregate's date: SQLite hands it back as text."""
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def add_reminders(session: Session, rows: Sequence[dict[str, Any]]) -> list[NewReminder]:
    """Insert these reminders, those not recorded yet; the ones inserted."""
    inserted = session.execute(
        insert_ignoring_duplicates(session.connection(), ReminderRow.__table__).returning(
            ReminderRow.id, ReminderRow.cluster_id, ReminderRow.subject, ReminderRow.stage, ReminderRow.late),
        list(rows)).all()
    return [NewReminder(*row) for row in inserted]


def add_deliveries(session: Session, owed: Sequence[tuple[int, str]]) -> None:
    """A pending delivery for each (reminder id, recipient) not recorded yet."""
    if owed:
        session.execute(insert_ignoring_duplicates(session.connection(), DeliveryRow.__table__),
                        [{"reminder_id": rid, "recipient": recipient, "state": DeliveryState.PENDING}
                         for rid, recipient in owed])
