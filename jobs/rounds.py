"""A digest round: turn pending deliveries into one message per recipient, then send what is owed.

Exactly-once, step by step:

1. ``build_round`` runs in one transaction. It claims each recipient's pending deliveries with a conditional
   ``UPDATE … WHERE state = 'pending'`` and stores the whole message (bytes and Message-ID) in the same
   transaction, so a delivery belongs to exactly one message or to none. On PostgreSQL only one daemon builds
   at a time (a transaction-level advisory lock); a second daemon finds nothing pending.
2. ``deliver`` renews a message's claim just before sending it and records the outcome right after the server
   answers: ``sent`` only once the server accepted it; a 5xx refusal is ``failed``; anything else is ``retry``.
3. A message whose daemon died is taken over once its claim is older than ``daemon.claim_lease_seconds``, and
   sent again byte for byte with the same Message-ID. The one window left is a kill between the server's
   acceptance and our commit: then the same message (same Message-ID) is delivered a second time, which mail
   stores treat as one message.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

from sqlalchemy import insert, or_, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from db.models import DeliveryRow, MessageRow, ReminderRow
from db.session import rowcount, transaction
from jobs.scan import mark
from jobs.stages import open_item
from monitor import clock
from monitor.app import App
from monitor.errors import MonitorError
from monitor.facts import Facts
from monitor.ledger import active_holds
from monitor.verdict import Verdict
from notifications.digest import Digest, Item, build_message, obligation_item, warning_item
from notifications.smtp import Outcome, Outgoing, send_all

log = logging.getLogger("monitor.round")

#: clusters loaded at a time when a round re-evaluates the clusters it is about to remind of
IDS_PER_QUERY = 500
ROUND_LOCK = 7331002


class ConcurrentRound(MonitorError):
    """Another process claimed some of the deliveries this round was building; it was rolled back whole."""


class Pending(NamedTuple):
    delivery_id: int
    recipient: str
    cluster_id: str
    subject: str
    late: bool


def _update_in_slices(session: Session, ids: list[int], values: dict[str, object], *where: Any) -> int:
    """UPDATE delivery rows by id, IDS_PER_QUERY ids a statement (SQLite bounds bound parameters); rows changed."""
    return sum(rowcount(session.execute(
        update(DeliveryRow).where(DeliveryRow.id.in_(ids[i:i + IDS_PER_QUERY]), *where).values(**values)
        .execution_options(synchronize_session=False))) for i in range(0, len(ids), IDS_PER_QUERY))


def _by_clusters(rows: list[Pending]) -> Iterator[list[Pending]]:
    """Rows (sorted by cluster) in slices of at most IDS_PER_QUERY clusters."""
    chunk: list[Pending] = []
    clusters = 0
    for row in rows:
        if not chunk or row.cluster_id != chunk[-1].cluster_id:
            clusters += 1
            if clusters > IDS_PER_QUERY:
                yield chunk
                chunk, clusters = [], 1
        chunk.append(row)
    if chunk:
        yield chunk


def _item(app: App, pair: tuple[Facts, Verdict] | None, subject: str, late: bool) -> Item | None:
    """What a delivery is about, as of the round; ``None`` when it is done or gone (the reminder is obsolete)."""
    if pair is None or pair[1].state == "revoked":
        return None
    facts, verdict = pair
    lang = app.settings.language
    obligation = open_item(verdict, subject)
    if obligation is not None:
        return obligation_item(facts.cluster, obligation, verdict, late, lang)
    warning = next((w for w in verdict.warnings if w.key == subject), None)
    return None if warning is None else warning_item(facts.cluster, warning, late, lang)


def _held(pair: tuple[Facts, Verdict] | None, subject: str, holds: set[tuple[str, str]]) -> bool:
    """Snoozed itself, or acknowledged through the warning it carries (an overdue filing's warning)."""
    if pair is None:
        return False
    cid = pair[0].cluster.id
    return (cid, subject) in holds or any(
        w.obligation == subject and (cid, w.key) in holds for w in pair[1].warnings)


def build_round(app: App, session: Session, day: dt.date, now: dt.datetime, owner: str,
                late: bool = False) -> list[Outgoing]:
    """Claim every pending delivery into one message per recipient, in the caller's transaction."""
    conn = session.connection()
    if conn.dialect.name == "postgresql" and not conn.execute(
            text(f"SELECT pg_try_advisory_xact_lock({ROUND_LOCK})")).scalar():
        log.info("round day=%s skipped: another daemon is building one", day)
        return []
    rows = [Pending(*row) for row in session.execute(
        select(DeliveryRow.id, DeliveryRow.recipient, ReminderRow.cluster_id, ReminderRow.subject, ReminderRow.late)
        .join(ReminderRow, ReminderRow.id == DeliveryRow.reminder_id).where(DeliveryRow.state == "pending")
        .order_by(ReminderRow.cluster_id, ReminderRow.subject, DeliveryRow.recipient, DeliveryRow.id))]
    holds = {(hold.cluster_id, hold.subject) for hold in active_holds(session, day)}
    digests: dict[str, Digest] = defaultdict(Digest)
    claimed: dict[str, list[int]] = defaultdict(list)
    settled: dict[str, list[int]] = {"suppressed": [], "obsolete": []}
    # clusters are evaluated a slice at a time, and a digest keeps only what it can show: memory stays bounded
    for chunk in _by_clusters(rows):
        pairs = {facts.cluster.id: (facts, verdict) for facts, verdict in
                 app.evaluate_all(day, sorted({row.cluster_id for row in chunk}))}
        previous: tuple[str, str, str] | None = None
        for row in chunk:
            pair = pairs.get(row.cluster_id)
            item = _item(app, pair, row.subject, row.late or late)
            if item is None:
                settled["obsolete"].append(row.delivery_id)
            elif _held(pair, row.subject, holds):
                settled["suppressed"].append(row.delivery_id)
            else:
                claimed[row.recipient].append(row.delivery_id)
                if previous != (row.cluster_id, row.subject, row.recipient):   # two stages make one item
                    digests[row.recipient].add(item)
                previous = (row.cluster_id, row.subject, row.recipient)
    outgoing: list[Outgoing] = []
    settings = app.settings
    for recipient, digest in digests.items():
        message = build_message(settings.smtp.sender, recipient, digest, day, settings.language, now)
        message_id = message["Message-ID"]
        session.execute(insert(MessageRow).values(
            id=message_id, recipient=recipient, state="claimed", late=digest.late, round_day=day,
            raw=message.as_bytes(), created_at=now, claimed_by=owner, claimed_at=now, attempts=0))
        ids = claimed[recipient]
        done = _update_in_slices(session, ids, {"state": "queued", "message_id": message_id},
                                 DeliveryRow.state == "pending")
        if done != len(ids):
            raise ConcurrentRound(f"round {day}: {len(ids) - done} of {recipient}'s deliveries were claimed by "
                                  "another process; nothing of this round was stored")
        outgoing.append(Outgoing(message_id, recipient))
    for state, ids in settled.items():
        _update_in_slices(session, ids, {"state": state, "settled_at": now})
    mark(session, "round", now, day)
    log.info("round day=%s messages=%d deliveries=%d suppressed=%d obsolete=%d late=%s", day, len(outgoing),
             sum(len(ids) for ids in claimed.values()), len(settled["suppressed"]), len(settled["obsolete"]), late)
    return outgoing


def owed(sessions: sessionmaker[Session], owner: str, now: dt.datetime, lease_seconds: int) -> list[Outgoing]:
    """Messages to send again: those waiting for a retry and those whose daemon's claim has lapsed."""
    stale = now - dt.timedelta(seconds=lease_seconds)
    taken: list[Outgoing] = []
    with transaction(sessions) as session:
        candidates = session.execute(
            select(MessageRow.id, MessageRow.recipient, MessageRow.claimed_by, MessageRow.claimed_at).where(or_(
                (MessageRow.state == "retry") & (MessageRow.next_attempt_at <= now),
                (MessageRow.state == "claimed") & (MessageRow.claimed_at < stale)))).all()
    for message_id, recipient, claimed_by, claimed_at in candidates:
        with transaction(sessions) as session:
            won = rowcount(session.execute(
                update(MessageRow).where(MessageRow.id == message_id, MessageRow.claimed_by == claimed_by,
                                         MessageRow.claimed_at == claimed_at,
                                         MessageRow.state.in_(("retry", "claimed")))
                .values(state="claimed", claimed_by=owner, claimed_at=now)
                .execution_options(synchronize_session=False))) == 1
        if won:
            taken.append(Outgoing(message_id, recipient))
    return taken


def deliver(app: App, owner: str, messages: Sequence[Outgoing],
            now: Callable[[], dt.datetime] = clock.now_utc) -> dict[str, int]:
    """Send the messages; each outcome is committed as soon as the server has answered."""
    counts = {"sent": 0, "failed": 0, "retry": 0, "skipped": 0}
    if not messages:
        return counts
    sessions = app.sessions

    def still_ours(message_id: str) -> bytes | None:
        """Renew the claim just before sending; the stored bytes if the message is still ours."""
        with transaction(sessions) as session:
            ours = rowcount(session.execute(
                update(MessageRow).where(MessageRow.id == message_id, MessageRow.claimed_by == owner,
                                         MessageRow.state == "claimed")
                .values(claimed_at=now(), attempts=MessageRow.attempts + 1)
                .execution_options(synchronize_session=False))) == 1
            raw = session.execute(select(MessageRow.raw).where(MessageRow.id == message_id)).scalar() if ours else None
        if raw is None:
            counts["skipped"] += 1
        return raw

    def settle(message_id: str, outcome: Outcome) -> None:
        at = now()
        with transaction(sessions) as session:
            values: dict[str, object] = {"state": outcome.state, "error": outcome.error}
            if outcome.state == "sent":
                values["sent_at"] = at
            if outcome.state == "retry":
                attempts = session.execute(select(MessageRow.attempts).where(MessageRow.id == message_id)).scalar()
                values["next_attempt_at"] = at + dt.timedelta(seconds=min(3600, 60 * 2 ** min(attempts or 0, 6)))
            session.execute(update(MessageRow).where(MessageRow.id == message_id, MessageRow.claimed_by == owner)
                            .values(**values).execution_options(synchronize_session=False))
            if outcome.state != "retry":
                session.execute(update(DeliveryRow).where(DeliveryRow.message_id == message_id)
                                .values(state=outcome.state, settled_at=at)
                                .execution_options(synchronize_session=False))
        counts[outcome.state] += 1
        level = logging.INFO if outcome.state == "sent" else logging.WARNING
        log.log(level, "message %s to=%s state=%s error=%s", message_id, recipient_of[message_id], outcome.state,
                outcome.error or "")

    recipient_of = {m.id: m.recipient for m in messages}
    settings = app.settings
    asyncio.run(send_all(settings.smtp, settings.smtp.sender, messages, still_ours, settle))
    return counts
