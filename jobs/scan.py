"""The scan: record in the ledger every reminder stage crossed and not yet recorded, with its recipients.

Runs in the caller's transaction (the daemon commits it; a preview rolls it back). Safe to run twice or in
two daemons at once: a reminder is unique by (cluster, subject, stage) and a delivery by (reminder,
recipient), and both are inserted with ON CONFLICT DO NOTHING.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.sql import func

from db.ledger import last_day, mark
from db.models import DeliveryRow, ReminderRow
from db.session import insert_ignoring_duplicates
from monitor.app import App
from monitor.overview import Selection, slices
from monitor.rules.stages import OBLIGATION_SECTION, candidates, recipients, warning_stage
from monitor.rules.states import DeliveryState

log = logging.getLogger("monitor.scan")

class ScanResult(NamedTuple):
    day: dt.date
    reminders: int          # new reminders recorded
    deliveries: int         # new deliveries (reminder x recipient) queued
    late: int               # new reminders crossed on a day no scan ran


def scan(app: App, session: Session, day: dt.date, now: dt.datetime) -> ScanResult:
    """Record the reminders owed as of ``day``. A stage crossed after the previous scan's day and before
    ``day`` was crossed while no scan ran: it is marked late (RULES.md: "sent once, marked as late")."""
    settings = app.settings
    previous = last_day(session, "scan")
    lead = {kind: settings.lead_days_for(kind) for kind in OBLIGATION_SECTION}
    every = settings.overdue_every_days
    conn = session.connection()
    counts = [0, 0, 0]
    for (low, high), items in slices(app, Selection(day)):
        seen = _ledger_summary(session, low, high)
        new: list[dict[str, Any]] = []
        addresses: dict[tuple[str, str, str], list[str]] = {}
        for facts, verdict in items:
            pack = app.pack(facts.cluster.regime)
            for c in candidates(pack, verdict, day, lead, every):
                first, newest = seen.get((facts.cluster.id, c.subject), (None, None))
                if c.stage is not None and c.crossed_on is not None:
                    stage, crossed_on = c.stage, c.crossed_on
                else:
                    stage, crossed_on = warning_stage(first, day, c.repeats, every)
                if newest is not None and crossed_on <= newest:
                    continue
                late = previous is not None and previous < crossed_on < day
                new.append({"cluster_id": facts.cluster.id, "subject": c.subject, "stage": stage,
                            "crossed_on": crossed_on, "found_on": day, "late": late, "created_at": now})
                addresses[(facts.cluster.id, c.subject, stage)] = recipients(facts.cluster, c.roles,
                                                                             settings.administrators)
        if not new:
            continue
        inserted = session.execute(
            insert_ignoring_duplicates(conn, ReminderRow.__table__).returning(
                ReminderRow.id, ReminderRow.cluster_id, ReminderRow.subject, ReminderRow.stage, ReminderRow.late),
            new).all()
        deliveries = [{"reminder_id": rid, "recipient": address, "state": DeliveryState.PENDING}
                      for rid, cid, subject, stage, _late in inserted
                      for address in addresses[(cid, subject, stage)]]
        if deliveries:
            session.execute(insert_ignoring_duplicates(conn, DeliveryRow.__table__), deliveries)
        counts[0] += len(inserted)
        counts[1] += len(deliveries)
        counts[2] += sum(1 for row in inserted if row.late)
    mark(session, "scan", now, day)
    result = ScanResult(day, *counts)
    log.info("scan day=%s reminders=%d deliveries=%d late=%d", day, *counts)
    return result


def _ledger_summary(session: Session, low: str | None, high: str | None) -> dict[tuple[str, str],
                                                                                   tuple[dt.date, dt.date]]:
    """For each (cluster, subject) in the id range: the first and the newest day a stage was crossed."""
    query = select(ReminderRow.cluster_id, ReminderRow.subject, func.min(ReminderRow.crossed_on),
                   func.max(ReminderRow.crossed_on)).group_by(ReminderRow.cluster_id, ReminderRow.subject)
    if low is not None:
        query = query.where(ReminderRow.cluster_id >= low)
    if high is not None:
        query = query.where(ReminderRow.cluster_id < high)
    return {(cid, subject): (_day(first), _day(newest)) for cid, subject, first, newest in session.execute(query)}


def _day(value: Any) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value
