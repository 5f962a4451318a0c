"""A digest round's reads and scratch rows (jobs/compose.py builds the round; db/ledger.py makes its moves).

The round reads the pending deliveries it can send a slice of clusters at a time, and writes each delivery it
is to claim, with the digest item it shows, to scratch rows (``round_item``) named by the round. The rows are
removed when the round ends, and a dead round's by a later one (``sweep``). On PostgreSQL one daemon builds a
round at a time (``round_lock``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Row, delete, insert, or_, select, text
from sqlalchemy.orm import Session

from db.models import DeliveryRow, ReminderRow, RoundItemRow
from db.session import rowcount
from monitor.rules.routes import CHANNEL_PREFIX
from monitor.rules.states import DeliveryState

#: the PostgreSQL advisory lock a daemon holds while it builds a round
ROUND_LOCK = 7331002


class Pending(NamedTuple):
    delivery_id: int
    recipient: str
    cluster_id: str
    subject: str
    late: bool
    stage: str = ""


def _sendable(email: bool, channels: Sequence[str], every_person: bool = False) -> ColumnElement[bool]:
    """The deliveries a round can send: to an e-mail address (if ``email``), or to one of ``channels``
    (``channel:NAME``, or a person on a personal channel, ``channel:NAME:ACCOUNT``), or (``every_person``, a
    preview) to anyone on a personal channel."""
    to_channels: ColumnElement[bool] = DeliveryRow.recipient.in_(channels)
    if every_person:
        to_channels = or_(to_channels, DeliveryRow.recipient.like(f"{CHANNEL_PREFIX}%:%"))
    return or_(~DeliveryRow.recipient.startswith(CHANNEL_PREFIX), to_channels) if email else to_channels


def pending_clusters(session: Session, after: str | None, limit: int, email: bool,
                     channels: Sequence[str], every_person: bool = False) -> list[str]:
    """The next ``limit`` clusters (by id, after ``after``) with a pending delivery the round can send."""
    query = (select(ReminderRow.cluster_id).distinct().join(DeliveryRow, DeliveryRow.reminder_id == ReminderRow.id)
             .where(DeliveryRow.state == DeliveryState.PENDING, _sendable(email, channels, every_person))
             .order_by(ReminderRow.cluster_id).limit(limit))
    if after is not None:
        query = query.where(ReminderRow.cluster_id > after)
    return list(session.execute(query).scalars())


def pending_deliveries(session: Session, cluster_ids: Sequence[str], email: bool,
                       channels: Sequence[str], every_person: bool = False) -> list[Pending]:
    """The pending deliveries of these clusters the round can send, by cluster, subject, recipient and id."""
    return [Pending(*row) for row in session.execute(
        select(DeliveryRow.id, DeliveryRow.recipient, ReminderRow.cluster_id, ReminderRow.subject, ReminderRow.late,
               ReminderRow.stage)
        .join(ReminderRow, ReminderRow.id == DeliveryRow.reminder_id)
        .where(DeliveryRow.state == DeliveryState.PENDING, ReminderRow.cluster_id.in_(cluster_ids),
               _sendable(email, channels, every_person))
        .order_by(ReminderRow.cluster_id, ReminderRow.subject, DeliveryRow.recipient, DeliveryRow.id))]


def add_items(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Scratch rows of a round: each names its round, recipient and delivery, and the item it shows (or none)."""
    session.execute(insert(RoundItemRow), list(rows))


def recipients(session: Session, round_id: str) -> list[str]:
    """The recipients of a round's scratch rows, in order."""
    items = RoundItemRow.__table__.c
    return list(session.execute(select(items.recipient).distinct().where(items.round_id == round_id)
                                .order_by(items.recipient)).scalars())


def items(session: Session, round_id: str, recipient: str) -> list[Row[Any]]:
    """A round's scratch rows for one recipient, in the order they were written."""
    table = RoundItemRow.__table__
    return list(session.execute(select(table).where(table.c.round_id == round_id, table.c.recipient == recipient)
                                .order_by(table.c.id)).all())


def drop(session: Session, round_id: str) -> None:
    """A round's scratch rows, removed when it ends."""
    session.execute(delete(RoundItemRow).where(RoundItemRow.round_id == round_id))


def sweep(session: Session, before: str) -> int:
    """Remove the scratch rows of rounds named before ``before`` (round names sort by their start): rounds whose
    process died. How many rows."""
    return rowcount(session.execute(delete(RoundItemRow).where(RoundItemRow.round_id < before)))


@contextmanager
def round_lock(session: Session) -> Iterator[bool]:
    """Whether this process may build a round: on PostgreSQL, a session-level advisory lock held on a connection
    of its own for the whole round (the round's transactions commit as they go); elsewhere, always."""
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        yield True
        return
    with bind.engine.connect() as conn:
        got = bool(conn.execute(text(f"SELECT pg_try_advisory_lock({ROUND_LOCK})")).scalar())
        conn.commit()
        try:
            yield got
        finally:
            if got:
                conn.execute(text(f"SELECT pg_advisory_unlock({ROUND_LOCK})"))
                conn.commit()

