"""`monitor ack` and `monitor snooze`: a warning acknowledged or an obligation snoozed until a date, with why."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from db.models import AckRow, SnoozeRow
from monitor.actions.record import text_value
from monitor.errors import InputError, Said

TABLES: dict[str, type[AckRow | SnoozeRow]] = {"ack": AckRow, "snooze": SnoozeRow}


def record_hold(session: Session, kind: str, cluster_id: str, subject: str, until: dt.date, note: str,
                today: dt.date, who: str, now: dt.datetime) -> Said:
    """Store the hold in the caller's transaction; what it did, to say."""
    if until < today:
        raise InputError("--until {until}: is before today ({today})", until=until, today=today)
    if not note.strip():
        raise InputError("--note: say why (it is recorded with who and when)")
    why = text_value("--note", note, required=True)
    session.add(TABLES[kind](cluster_id=cluster_id, subject=subject, until=until, note=why,
                             recorded_at=now, recorded_by=who))
    return Said("{id} {subject}: acknowledged until {until}" if kind == "ack" else
                "{id} {subject}: snoozed until {until}", id=cluster_id, subject=subject, until=until)
