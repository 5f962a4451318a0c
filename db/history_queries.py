"""Reading a cluster's history: its fact versions, archive rows, holds and reminders, as plain entries."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import fact_queries as record_db
from db.models import AckRow, DeliveryRow, HoldColumns, MessageRow, ReminderRow, SnoozeRow
from db.queries import aware
from monitor.rules.history import Entry, fact_entries, in_order


def history(session: Session, cluster_id: str, known_at: dt.datetime | None = None) -> list[Entry]:
    """Everything on the record about one cluster, oldest first (cut at ``known_at``, when given)."""
    entries = fact_entries(record_db.versions(session, [cluster_id], known_at))
    entries += [Entry(aware(row.recorded_at), "archive", row.recorded_by,
                      {"archived": row.archived, "reason": row.reason})
                for row in record_db.archive_history(session, cluster_id)]
    for kind, model in (("ack", AckRow), ("snooze", SnoozeRow)):
        holds: list[HoldColumns] = list(session.scalars(select(model).where(model.cluster_id == cluster_id)))
        entries += [Entry(aware(row.recorded_at), kind, row.recorded_by,
                          {"subject": row.subject, "until": row.until, "note": row.note}) for row in holds]
    rows = session.execute(
        select(ReminderRow.created_at, ReminderRow.crossed_on, ReminderRow.subject, ReminderRow.stage,
               ReminderRow.late, DeliveryRow.recipient, DeliveryRow.state, DeliveryRow.message_id, MessageRow.sent_at)
        .join(DeliveryRow, DeliveryRow.reminder_id == ReminderRow.id)
        .outerjoin(MessageRow, MessageRow.id == DeliveryRow.message_id)
        .where(ReminderRow.cluster_id == cluster_id).order_by(ReminderRow.id, DeliveryRow.id))
    entries += [Entry(aware(created), "reminder", None,
                      {"day": crossed, "subject": subject, "stage": stage, "late": late, "recipient": recipient,
                       "state": state, "message_id": message_id,
                       "sent_at": aware(sent) if sent is not None else None})
                for created, crossed, subject, stage, late, recipient, state, message_id, sent in rows]
    return in_order(entries, known_at)
