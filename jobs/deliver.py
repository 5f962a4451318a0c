"""Delivering stored messages through a Sender, recording each outcome in the ledger as soon as it is known.

``deliver`` renews the claim on a chunk of messages just before handing them over (a message no longer ours is
skipped) and records each outcome as the sender reports it: ``sent`` only once the server accepted it, a
refusal for good ``failed``, anything else ``retry`` with backoff. A message whose daemon died is taken over
(``owed``) once its claim is older than ``daemon.claim_lease_seconds``, and sent again byte for byte with the
same Message-ID. The one window left is a kill between the server's acceptance and our commit: then the
same message (same Message-ID) is delivered a second time, which mail stores treat as one message.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from db.models import DeliveryRow, MessageRow
from db.session import rowcount, transaction
from jobs.compose import Outgoing
from monitor.rules.states import DeliveryState, MessageState, message_sources
from notifications.sender import Outcome, Ready, Sender

log = logging.getLogger("monitor.round")

#: messages handed to the sender at a time: their bytes are in memory together, nothing more
CHUNK = 200


def owed(sessions: sessionmaker[Session], owner: str, now: dt.datetime, lease_seconds: int) -> list[Outgoing]:
    """Messages to send again: those waiting for a retry and those whose daemon's claim has lapsed."""
    stale = now - dt.timedelta(seconds=lease_seconds)
    taken: list[Outgoing] = []
    with transaction(sessions) as session:
        candidates = session.execute(
            select(MessageRow.id, MessageRow.recipient, MessageRow.claimed_by, MessageRow.claimed_at).where(or_(
                (MessageRow.state == MessageState.RETRY) & (MessageRow.next_attempt_at <= now),
                (MessageRow.state == MessageState.CLAIMED) & (MessageRow.claimed_at < stale)))).all()
    for message_id, recipient, claimed_by, claimed_at in candidates:
        with transaction(sessions) as session:
            won = rowcount(session.execute(
                update(MessageRow).where(MessageRow.id == message_id, MessageRow.claimed_by == claimed_by,
                                         MessageRow.claimed_at == claimed_at,
                                         MessageRow.state.in_(message_sources(MessageState.CLAIMED)))
                .values(state=MessageState.CLAIMED, claimed_by=owner, claimed_at=now)
                .execution_options(synchronize_session=False))) == 1
        if won:
            taken.append(Outgoing(message_id, recipient))
    return taken


def _still_ours(sessions: sessionmaker[Session], owner: str, message: Outgoing, at: dt.datetime) -> Ready | None:
    """Renew the claim just before sending; the message with its stored bytes if it is still ours."""
    with transaction(sessions) as session:
        ours = rowcount(session.execute(
            update(MessageRow).where(MessageRow.id == message.id, MessageRow.claimed_by == owner,
                                     MessageRow.state == MessageState.CLAIMED)
            .values(claimed_at=at, attempts=MessageRow.attempts + 1)
            .execution_options(synchronize_session=False))) == 1
        raw = session.execute(select(MessageRow.raw).where(MessageRow.id == message.id)).scalar() if ours else None
    return None if raw is None else Ready(message.id, message.recipient, raw)


def retry_delay(attempts: int) -> dt.timedelta:
    """Backoff between rounds of tries of one message: 2, 4, 8 … minutes, at most an hour."""
    return dt.timedelta(seconds=min(3600, 60 * 2 ** min(attempts, 6)))


def _settle(sessions: sessionmaker[Session], owner: str, message: Ready, outcome: Outcome, at: dt.datetime) -> None:
    with transaction(sessions) as session:
        values: dict[str, object] = {"state": outcome.state, "error": outcome.error}
        if outcome.state is MessageState.SENT:
            values["sent_at"] = at
        if outcome.state is MessageState.RETRY:
            attempts = session.execute(select(MessageRow.attempts).where(MessageRow.id == message.id)).scalar()
            values["next_attempt_at"] = at + retry_delay(attempts or 0)
        session.execute(update(MessageRow).where(MessageRow.id == message.id, MessageRow.claimed_by == owner,
                                                 MessageRow.state == MessageState.CLAIMED)
                        .values(**values).execution_options(synchronize_session=False))
        if outcome.state is not MessageState.RETRY:   # the message's deliveries share its fate
            session.execute(update(DeliveryRow).where(DeliveryRow.message_id == message.id)
                            .values(state=DeliveryState(outcome.state.value), settled_at=at)
                            .execution_options(synchronize_session=False))
    level = logging.INFO if outcome.state is MessageState.SENT else logging.WARNING
    log.log(level, "message %s to=%s state=%s error=%s", message.id, message.recipient, outcome.state,
            outcome.error or "")


def release(sessions: sessionmaker[Session], owner: str, messages: Sequence[Outgoing], at: dt.datetime,
            why: str) -> int:
    """Give back messages this round will not hand over (the server is down, the round's time is up): they wait
    for a retry at the next tick instead of staying claimed until the lease lapses."""
    released = 0
    with transaction(sessions) as session:
        for i in range(0, len(messages), CHUNK):
            released += rowcount(session.execute(
                update(MessageRow).where(MessageRow.id.in_([m.id for m in messages[i:i + CHUNK]]),
                                         MessageRow.claimed_by == owner, MessageRow.state == MessageState.CLAIMED)
                .values(state=MessageState.RETRY, next_attempt_at=at, error=why)
                .execution_options(synchronize_session=False)))
    if released:
        log.warning("%d messages released for a retry: %s", released, why)
    return released


def deliver(sessions: sessionmaker[Session], sender: Sender, owner: str, messages: Sequence[Outgoing],
            now: Callable[[], dt.datetime], deadline_seconds: float = 900.0) -> dict[str, int]:
    """Send the messages, CHUNK at a time; each outcome is committed as soon as the sender reports it. Once the
    sender is halted (its circuit breaker open) or ``deadline_seconds`` have passed, the rest are released for
    the next tick: a silent server never holds the daemon's thread for longer than that."""
    counts = {"sent": 0, "failed": 0, "retry": 0, "skipped": 0}
    started = time.monotonic()
    for start in range(0, len(messages), CHUNK):
        if start and (sender.halted or time.monotonic() - started > deadline_seconds):
            counts["retry"] += release(sessions, owner, messages[start:], now(),
                                       "the server is not answering" if sender.halted else "the round's time was up")
            break
        ready = []
        for message in messages[start:start + CHUNK]:
            found = _still_ours(sessions, owner, message, now())
            if found is None:
                counts["skipped"] += 1
            else:
                ready.append(found)
        if not ready:
            continue
        for sent, outcome in sender.send(ready):
            _settle(sessions, owner, sent, outcome, now())
            counts[outcome.state] += 1
    return counts
