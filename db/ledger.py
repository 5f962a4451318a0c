"""The ledger's moves: each a conditional UPDATE whose WHERE is the state machine of monitor/rules/states.py.

A move is ``UPDATE … WHERE id = :id AND state IN (the states it may move from) [AND claimed_by = :owner]``, and
it is made when exactly one row changed; that is what lets two daemons share one database. A message is held by
one daemon at a time (``claimed_by``, ``claimed_at``) while it is sent:

- ``claim``: a message owed again (a retry whose time has come, or a claim that lapsed because its daemon
  died) is taken over, as it was last seen: if anything moved it since, the claim fails;
- ``renew``: the owner renews its claim just before handing the message to a sender, and counts the attempt;
- ``settle``: the owner records the outcome, and the message's deliveries share a final one;
- ``release``: the owner gives back what it will not send this round, for a retry at once.

A delivery moves when its round is built: pending to queued, into exactly one message (``claim_deliveries``),
or pending to suppressed or obsolete (``settle_pending``), or pending to held (db/round_log.py, ``hold``); and
when an administrator approves its held round, held to queued (or obsolete, suppressed) the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import ColumnElement, func, insert, or_, select, update
from sqlalchemy.orm import Session

from db.models import DeliveryRow, MessageRow, RoundItemRow
from db.queries import aware
from db.session import rowcount
from monitor.rules.states import DeliveryState, MessageState, delivery_sources, message_sources

#: ids a statement, under SQLite's bound-parameter limit
IDS_PER_STATEMENT = 500


class Seen(NamedTuple):
    """A message owed again, as it was read (``claimed_at`` aware); its claim is taken over only if it is still so."""
    id: str
    recipient: str
    claimed_by: str
    claimed_at: dt.datetime


def _due(now: dt.datetime, lapsed_before: dt.datetime) -> ColumnElement[bool]:
    """When a message may be claimed again: a retry once its next attempt has come, any other once its claim is
    older than the lease. Which states may be claimed at all is the ``state IN`` beside it."""
    return or_((MessageRow.state == MessageState.RETRY) & (MessageRow.next_attempt_at <= now),
               (MessageRow.state != MessageState.RETRY) & (MessageRow.claimed_at < lapsed_before))


def owed(session: Session, now: dt.datetime, lapsed_before: dt.datetime) -> list[Seen]:
    """The messages to claim again at ``now``: retries whose time has come, and claims made before
    ``lapsed_before`` (now less the lease)."""
    return [Seen(message_id, recipient, claimed_by, aware(claimed_at))
            for message_id, recipient, claimed_by, claimed_at in session.execute(
                select(MessageRow.id, MessageRow.recipient, MessageRow.claimed_by, MessageRow.claimed_at)
                .where(MessageRow.state.in_(message_sources(MessageState.CLAIMED)), _due(now, lapsed_before)))]


def claims_held(session: Session) -> tuple[dt.datetime | None, int]:
    """The messages claimed and not settled yet, by whichever daemon: when the oldest claim was made (aware; it
    lapses a lease after) and how many there are."""
    oldest, count = session.execute(select(func.min(MessageRow.claimed_at), func.count())
                                    .where(MessageRow.state == MessageState.CLAIMED)).one()
    return (None if oldest is None else aware(oldest)), count


def claim(session: Session, seen: Seen, owner: str, now: dt.datetime, lapsed_before: dt.datetime) -> bool:
    """Take over a message owed again for ``owner``: only if it may still be claimed (a retry or a claim, due at
    ``now``) and nobody claimed it since it was seen. True if it is now ``owner``'s."""
    return rowcount(session.execute(
        update(MessageRow).where(MessageRow.id == seen.id,
                                 MessageRow.state.in_(message_sources(MessageState.CLAIMED)),
                                 _due(now, lapsed_before),
                                 MessageRow.claimed_by == seen.claimed_by, MessageRow.claimed_at == seen.claimed_at)
        .values(state=MessageState.CLAIMED, claimed_by=owner, claimed_at=now)
        .execution_options(synchronize_session=False))) == 1


def renew(session: Session, message_id: str, owner: str, at: dt.datetime) -> bool:
    """The owner's claim renewed just before the message is handed to a sender (its lease runs from ``at``), and
    the attempt counted. False if the message is no longer ``owner``'s claim."""
    return rowcount(session.execute(
        update(MessageRow).where(MessageRow.id == message_id, MessageRow.claimed_by == owner,
                                 MessageRow.state == MessageState.CLAIMED)
        .values(claimed_at=at, attempts=MessageRow.attempts + 1)
        .execution_options(synchronize_session=False))) == 1


def message_bytes(session: Session, message_id: str) -> bytes:
    """A stored message, byte for byte as it is sent (and sent again)."""
    raw: bytes = session.execute(select(MessageRow.raw).where(MessageRow.id == message_id)).scalar_one()
    return raw


def attempts(session: Session, message_id: str) -> int:
    """How many times a message was handed to a sender."""
    return session.execute(select(MessageRow.attempts).where(MessageRow.id == message_id)).scalar() or 0


def settle(session: Session, message_id: str, owner: str, state: MessageState, error: str | None, at: dt.datetime,
           next_attempt_at: dt.datetime | None = None) -> bool:
    """Record the outcome of ``owner``'s claim: sent, failed, or a retry at ``next_attempt_at``. A final outcome
    is its deliveries' too. False, and nothing changed, if the message is not ``owner``'s claim."""
    values: dict[str, object] = {"state": state, "error": error}
    if state is MessageState.SENT:
        values["sent_at"] = at
    if state is MessageState.RETRY:
        values["next_attempt_at"] = next_attempt_at
    moved = rowcount(session.execute(
        update(MessageRow).where(MessageRow.id == message_id, MessageRow.claimed_by == owner,
                                 MessageRow.state.in_(message_sources(state)))
        .values(**values).execution_options(synchronize_session=False))) == 1
    if moved and state is not MessageState.RETRY:     # the message's deliveries share its fate
        final = DeliveryState(state.value)
        session.execute(update(DeliveryRow).where(DeliveryRow.message_id == message_id,
                                                  DeliveryRow.state.in_(delivery_sources(final)))
                        .values(state=final, settled_at=at).execution_options(synchronize_session=False))
    return moved


def release(session: Session, message_ids: Sequence[str], owner: str, at: dt.datetime, why: str) -> int:
    """Give back those of these messages that are ``owner``'s claims: each waits for a retry at ``at``, ``why``
    recorded. How many were released."""
    released = 0
    for i in range(0, len(message_ids), IDS_PER_STATEMENT):
        released += rowcount(session.execute(
            update(MessageRow).where(MessageRow.id.in_(message_ids[i:i + IDS_PER_STATEMENT]),
                                     MessageRow.claimed_by == owner,
                                     MessageRow.state.in_(message_sources(MessageState.RETRY)))
            .values(state=MessageState.RETRY, next_attempt_at=at, error=why)
            .execution_options(synchronize_session=False)))
    return released


# --- deliveries, as a round is built ------------------------------------------------------------------------------

def store_message(session: Session, message_id: str, recipient: str, raw: bytes, late: bool, round_day: dt.date,
                  owner: str, now: dt.datetime) -> None:
    """A round's new message, stored whole and claimed by the daemon that built it."""
    session.execute(insert(MessageRow).values(
        id=message_id, recipient=recipient, state=MessageState.CLAIMED, late=late, round_day=round_day, raw=raw,
        created_at=now, claimed_by=owner, claimed_at=now, attempts=0))


def claim_deliveries(session: Session, round_id: str, recipient: str, message_id: str,
                     source: DeliveryState = DeliveryState.PENDING) -> int:
    """Queue into ``message_id`` the deliveries the round ``round_id`` holds for ``recipient`` (its scratch rows),
    those still ``source`` (pending; held, when an approval releases them); how many. Fewer than the round holds:
    another process claimed the rest."""
    assert source in delivery_sources(DeliveryState.QUEUED), source
    items = RoundItemRow.__table__.c
    mine = select(items.delivery_id).where(items.round_id == round_id, items.recipient == recipient)
    return rowcount(session.execute(
        update(DeliveryRow).where(DeliveryRow.state == source, DeliveryRow.id.in_(mine))
        .values(state=DeliveryState.QUEUED, message_id=message_id).execution_options(synchronize_session=False)))


def settle_pending(session: Session, delivery_ids: Sequence[int], state: DeliveryState, at: dt.datetime,
                   source: DeliveryState = DeliveryState.PENDING) -> int:
    """Settle these deliveries, those still ``source`` (pending, or held), as ``state`` (suppressed or obsolete);
    how many."""
    assert source in delivery_sources(state), (source, state)
    return sum(rowcount(session.execute(
        update(DeliveryRow).where(DeliveryRow.id.in_(delivery_ids[i:i + IDS_PER_STATEMENT]),
                                  DeliveryRow.state == source)
        .values(state=state, settled_at=at).execution_options(synchronize_session=False)))
        for i in range(0, len(delivery_ids), IDS_PER_STATEMENT))


def settle_recipients(session: Session, recipients: Sequence[str], state: DeliveryState, at: dt.datetime) -> int:
    """Settle every pending delivery to these recipients as ``state`` (a person a personal channel no longer
    reaches: suppressed); how many."""
    assert DeliveryState.PENDING in delivery_sources(state), state
    return sum(rowcount(session.execute(
        update(DeliveryRow).where(DeliveryRow.recipient.in_(recipients[i:i + IDS_PER_STATEMENT]),
                                  DeliveryRow.state == DeliveryState.PENDING)
        .values(state=state, settled_at=at).execution_options(synchronize_session=False)))
        for i in range(0, len(recipients), IDS_PER_STATEMENT))
