"""Delivering stored messages through a Sender, recording each outcome in the ledger as soon as it is known.

``deliver`` renews the claim on a chunk of messages just before handing them over (a message no longer ours is
skipped) and records each outcome as the sender reports it: ``sent`` only once the server accepted it, a
refusal for good ``failed``, anything else ``retry`` with backoff. A message whose daemon died is taken over
(``owed``) once its claim is older than ``daemon.claim_lease_seconds``, and sent again byte for byte with the
same Message-ID. The one window left is a kill between the server's acceptance and our commit: then the
same message (same Message-ID) is delivered a second time, which mail stores treat as one message.

That window stays one message per recipient. A sender hands a connection its next message only once the outcome
of its last is recorded, a chunk never holds two messages to one recipient, and when an outcome cannot be
recorded (the database went away) the sender is stopped at once: only what its other connections were sending
goes out unrecorded, to be sent again when its claim lapses, and nothing more is handed over.

Every write to the ledger is one of db/ledger.py's moves (claim, renew, settle, release), made only by the
claim's owner.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from contextlib import closing

from sqlalchemy.orm import Session, sessionmaker

from db import ledger
from db.session import reason, transaction
from jobs.compose import Outgoing
from monitor.errors import Said
from monitor.rules.states import MessageState
from notifications.sender import Outcome, Ready, Sender

log = logging.getLogger("monitor.round")

#: messages handed to the sender at a time: their bytes are in memory together, nothing more
CHUNK = 200


def owed(sessions: sessionmaker[Session], owner: str, now: dt.datetime, lease_seconds: int) -> list[Outgoing]:
    """Messages to send again: those waiting for a retry and those whose daemon's claim has lapsed. Each is
    claimed in a transaction of its own; one another daemon claimed first is left to it."""
    lapsed_before = now - dt.timedelta(seconds=lease_seconds)
    with transaction(sessions) as session:
        candidates = ledger.owed(session, now, lapsed_before)
    taken: list[Outgoing] = []
    for seen in candidates:
        with transaction(sessions) as session:
            won = ledger.claim(session, seen, owner, now, lapsed_before)
        if won:
            taken.append(Outgoing(seen.id, seen.recipient))
    return taken


def _still_ours(sessions: sessionmaker[Session], owner: str, message: Outgoing, at: dt.datetime) -> Ready | None:
    """Renew the claim just before sending; the message with its stored bytes if it is still ours."""
    with transaction(sessions) as session:
        raw = ledger.message_bytes(session, message.id) if ledger.renew(session, message.id, owner, at) else None
    return None if raw is None else Ready(message.id, message.recipient, raw)


def retry_delay(attempts: int) -> dt.timedelta:
    """Backoff between rounds of tries of one message: 2, 4, 8 … minutes, at most an hour."""
    return dt.timedelta(seconds=min(3600, 60 * 2 ** min(attempts, 6)))


def _settle(sessions: sessionmaker[Session], owner: str, message: Ready, outcome: Outcome, at: dt.datetime) -> None:
    with transaction(sessions) as session:
        retry_at = (at + retry_delay(ledger.attempts(session, message.id))
                    if outcome.state is MessageState.RETRY else None)
        ledger.settle(session, message.id, owner, outcome.state, outcome.error, at, retry_at)
    level = logging.INFO if outcome.state is MessageState.SENT else logging.WARNING
    log.log(level, "message %s to=%s state=%s error=%s", message.id, message.recipient, outcome.state,
            outcome.error or "")


def release(sessions: sessionmaker[Session], owner: str, messages: Sequence[Outgoing], at: dt.datetime,
            why: str) -> int:
    """Give back messages this round will not hand over (the server is down, the round's time is up): they wait
    for a retry at the next tick instead of staying claimed until the lease lapses."""
    with transaction(sessions) as session:
        released = ledger.release(session, [m.id for m in messages], owner, at, why)
    if released:
        log.warning("%d messages released for a retry: %s", released, why)
    return released


def chunks(messages: Sequence[Outgoing]) -> list[list[Outgoing]]:
    """The messages CHUNK at a time, in order, but never two to one recipient in a chunk (a recipient's second
    message goes in a later one): the sender's connections never carry two messages to one recipient at once."""
    waves: list[list[Outgoing]] = []        # a recipient's n-th message is in the n-th wave
    seen: dict[str, int] = {}
    for message in messages:
        number = seen.get(message.recipient, 0)
        seen[message.recipient] = number + 1
        if number == len(waves):
            waves.append([])
        waves[number].append(message)
    return [wave[start:start + CHUNK] for wave in waves for start in range(0, len(wave), CHUNK)]


def deliver(sessions: sessionmaker[Session], sender: Sender, owner: str, messages: Sequence[Outgoing],
            now: Callable[[], dt.datetime], deadline_seconds: float = 900.0) -> dict[str, int]:
    """Send the messages, CHUNK at a time; each outcome is committed as soon as the sender reports it. Once the
    sender is halted (its circuit breaker open) or ``deadline_seconds`` have passed, the rest are released for
    the next tick: a silent server never holds the daemon's thread for longer than that. If an outcome cannot be
    committed, the sender is stopped before it hands over anything more and the error is raised: what was claimed
    and not recorded is taken over once its claim lapses."""
    counts = {"sent": 0, "failed": 0, "retry": 0, "skipped": 0}
    started = time.monotonic()
    parts = chunks(messages)
    for number, part in enumerate(parts):
        if number and (sender.halted or time.monotonic() - started > deadline_seconds):
            counts["retry"] += release(sessions, owner, [m for rest in parts[number:] for m in rest], now(),
                                       "the server is not answering" if sender.halted else "the round's time was up")
            break
        ready = []
        for message in part:
            found = _still_ours(sessions, owner, message, now())
            if found is None:
                counts["skipped"] += 1
            else:
                ready.append(found)
        if not ready:
            continue
        with closing(sender.send(ready)) as outcomes:    # closed at once if an outcome cannot be recorded
            for sent, outcome in outcomes:
                try:
                    _settle(sessions, owner, sent, outcome, now())
                except Exception as exc:
                    log.error("%s", Said("message {id} to={recipient}: its outcome ({state}) could not be recorded "
                                         "({problem}); nothing more is sent now, and what is claimed and not "
                                         "recorded is sent again once its claim lapses", id=sent.id,
                                         recipient=sent.recipient, state=outcome.state, problem=reason(exc)))
                    raise
                counts[outcome.state] += 1
    return counts
