"""The scan's reads and writes of the reminder ledger (jobs/scan.py decides what is owed).

A reminder is unique by (cluster, subject, stage) and a delivery by (reminder, recipient); both are inserted
with ON CONFLICT DO NOTHING, so a scan run twice, or in two daemons at once, records each once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import func

from db.models import AccountRegionRow, AccountRow, AckRow, DeliveryRow, ReminderRow, SnoozeRow
from db.session import insert_ignoring_duplicates
from monitor.rules.escalation import STAGE, Person, parse_stage
from monitor.rules.states import DeliveryState


class NewReminder(NamedTuple):
    id: int
    cluster_id: str
    subject: str
    stage: str
    late: bool


def crossed_days(session: Session, cluster_ids: Sequence[str]) -> dict[tuple[str, str], tuple[dt.date, dt.date]]:
    """For each (cluster, subject) of these clusters: the first and the newest day a stage was crossed (the
    escalation steps aside: they are stages of their own, monitor/rules/escalation.py)."""
    query = (select(ReminderRow.cluster_id, ReminderRow.subject, func.min(ReminderRow.crossed_on),
                    func.max(ReminderRow.crossed_on)).where(ReminderRow.cluster_id.in_(cluster_ids),
                                                            ~ReminderRow.stage.startswith(STAGE))
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


# --- escalation (monitor/rules/escalation.py): the facts a chain's steps are computed from -----------------------

class Escalation(NamedTuple):
    """What the ledger and the holds say of these clusters' warnings, by (cluster, subject)."""
    told: dict[tuple[str, str], dt.date]            # the first scan day a warning (or overdue) stage was recorded
    steps: dict[tuple[str, str], set[int]]          # the escalation steps recorded
    acked: dict[tuple[str, str], dt.datetime]       # when the subject was first acknowledged (aware)
    snoozed: dict[tuple[str, str], dt.date]         # the last day of a snooze in force on the day asked


def escalation_facts(session: Session, cluster_ids: Sequence[str], day: dt.date) -> Escalation:
    """The facts of ``escalation`` for these clusters, as of ``day``."""
    told = {(cid, subject): _day(first) for cid, subject, first in session.execute(
        select(ReminderRow.cluster_id, ReminderRow.subject, func.min(ReminderRow.found_on))
        .where(ReminderRow.cluster_id.in_(cluster_ids),
               or_(ReminderRow.stage.startswith("warning:"), ReminderRow.stage.startswith("overdue:")))
        .group_by(ReminderRow.cluster_id, ReminderRow.subject))}
    steps: dict[tuple[str, str], set[int]] = {}
    for cid, subject, stage in session.execute(
            select(ReminderRow.cluster_id, ReminderRow.subject, ReminderRow.stage)
            .where(ReminderRow.cluster_id.in_(cluster_ids), ReminderRow.stage.startswith(STAGE))):
        parsed = parse_stage(stage)
        if parsed is not None:
            steps.setdefault((cid, subject), set()).add(parsed.number)
    acked = {(cid, subject): _moment(first) for cid, subject, first in session.execute(
        select(AckRow.cluster_id, AckRow.subject, func.min(AckRow.recorded_at))
        .where(AckRow.cluster_id.in_(cluster_ids)).group_by(AckRow.cluster_id, AckRow.subject))}
    snoozed = {(cid, subject): _day(until) for cid, subject, until in session.execute(
        select(SnoozeRow.cluster_id, SnoozeRow.subject, func.max(SnoozeRow.until))
        .where(SnoozeRow.cluster_id.in_(cluster_ids), SnoozeRow.until >= day)
        .group_by(SnoozeRow.cluster_id, SnoozeRow.subject))}
    return Escalation(told, steps, acked, snoozed)


def _moment(value: Any) -> dt.datetime:
    """An aggregate's date-time, aware (SQLite hands it back as naive UTC text)."""
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def people(session: Session) -> list[Person]:
    """Every account, as an escalation step may reach it: role, regions, e-mail, whether disabled."""
    covers: dict[int, list[str]] = {}
    for account_id, region in session.execute(select(AccountRegionRow.account_id, AccountRegionRow.region)):
        covers.setdefault(account_id, []).append(region)
    return [Person(name, role, tuple(sorted(covers.get(account_id, ()))), email or "", bool(disabled))
            for account_id, name, role, email, disabled in session.execute(
                select(AccountRow.id, AccountRow.name, AccountRow.role, AccountRow.email, AccountRow.disabled))]
