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
from collections.abc import Callable, Sequence
from dataclasses import fields
from itertools import groupby
from typing import Any, NamedTuple

from sqlalchemy import delete, insert, or_, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from db.models import DeliveryRow, MessageRow, ReminderRow, RoundItemRow
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


#: RoundItemRow's columns that hold an Item, in the order of Item's fields
ITEM_COLUMNS = ("grp", *(f.name for f in fields(Item)[1:]))


def _update_in_slices(session: Session, ids: list[int], values: dict[str, object], *where: Any) -> int:
    """UPDATE delivery rows by id, IDS_PER_QUERY ids a statement (SQLite bounds bound parameters); rows changed."""
    return sum(rowcount(session.execute(
        update(DeliveryRow).where(DeliveryRow.id.in_(ids[i:i + IDS_PER_QUERY]), *where).values(**values)
        .execution_options(synchronize_session=False))) for i in range(0, len(ids), IDS_PER_QUERY))


def _pending_clusters(session: Session, after: str | None) -> list[str]:
    """The next IDS_PER_QUERY clusters (by id, after ``after``) with a pending delivery."""
    query = (select(ReminderRow.cluster_id).distinct().join(DeliveryRow, DeliveryRow.reminder_id == ReminderRow.id)
             .where(DeliveryRow.state == "pending").order_by(ReminderRow.cluster_id).limit(IDS_PER_QUERY))
    if after is not None:
        query = query.where(ReminderRow.cluster_id > after)
    return list(session.execute(query).scalars())


def _pending(session: Session, cluster_ids: list[str]) -> list[Pending]:
    return [Pending(*row) for row in session.execute(
        select(DeliveryRow.id, DeliveryRow.recipient, ReminderRow.cluster_id, ReminderRow.subject, ReminderRow.late)
        .join(ReminderRow, ReminderRow.id == DeliveryRow.reminder_id)
        .where(DeliveryRow.state == "pending", ReminderRow.cluster_id.in_(cluster_ids))
        .order_by(ReminderRow.cluster_id, ReminderRow.subject, DeliveryRow.recipient, DeliveryRow.id))]


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


def _sort_out(app: App, session: Session, day: dt.date, now: dt.datetime, late: bool) -> dict[str, int]:
    """First pass, a slice of clusters at a time: settle what is obsolete or held, and write each delivery to
    claim, with the item it shows, to the round's scratch rows. Only one slice is ever in memory."""
    holds = {(hold.cluster_id, hold.subject) for hold in active_holds(session, day)}
    counts = {"claimed": 0, "suppressed": 0, "obsolete": 0}
    after: str | None = None
    while cluster_ids := _pending_clusters(session, after):
        after = cluster_ids[-1]
        pairs = {facts.cluster.id: (facts, verdict) for facts, verdict in app.evaluate_all(day, cluster_ids)}
        settled: dict[str, list[int]] = {"suppressed": [], "obsolete": []}
        scratch: list[dict[str, Any]] = []
        previous: tuple[str, str, str] | None = None
        for row in _pending(session, cluster_ids):
            pair = pairs.get(row.cluster_id)
            item = _item(app, pair, row.subject, row.late or late)
            if item is None:
                settled["obsolete"].append(row.delivery_id)
            elif _held(pair, row.subject, holds):
                settled["suppressed"].append(row.delivery_id)
            else:
                shown = previous != (row.cluster_id, row.subject, row.recipient)   # two stages make one item
                values = [getattr(item, f.name) for f in fields(Item)] if shown else [None] * len(ITEM_COLUMNS)
                scratch.append({"recipient": row.recipient, "delivery_id": row.delivery_id,
                                **dict(zip(ITEM_COLUMNS, values, strict=True))})
                previous = (row.cluster_id, row.subject, row.recipient)
        if scratch:
            session.execute(insert(RoundItemRow), scratch)
        for state, ids in settled.items():
            _update_in_slices(session, ids, {"state": state, "settled_at": now})
            counts[state] += len(ids)
        counts["claimed"] += len(scratch)
    return counts


def build_round(app: App, session: Session, day: dt.date, now: dt.datetime, owner: str,
                late: bool = False) -> list[Outgoing]:
    """Claim every pending delivery into one message per recipient, in the caller's transaction.

    Memory stays bounded on any roster: clusters are evaluated a slice at a time into scratch rows, which are
    then read back in recipient order, one digest at a time (a digest keeps only what it shows)."""
    conn = session.connection()
    if conn.dialect.name == "postgresql" and not conn.execute(
            text(f"SELECT pg_try_advisory_xact_lock({ROUND_LOCK})")).scalar():
        log.info("round day=%s skipped: another daemon is building one", day)
        return []
    counts = _sort_out(app, session, day, now, late)
    settings = app.settings
    outgoing: list[Outgoing] = []
    stream = session.execute(
        select(RoundItemRow.recipient, *(getattr(RoundItemRow, c) for c in ITEM_COLUMNS))
        .order_by(RoundItemRow.recipient, RoundItemRow.id).execution_options(yield_per=1000))
    for recipient, rows in groupby(stream, key=lambda row: row[0]):
        digest, claims = Digest(), 0
        for row in rows:
            claims += 1
            if row.grp is not None:
                digest.add(Item(*row[1:]))
        message = build_message(settings.smtp.sender, recipient, digest, day, settings.language, now)
        message_id = str(message["Message-ID"])   # a plain str: the header object keeps its parse tree
        session.execute(insert(MessageRow).values(
            id=message_id, recipient=recipient, state="claimed", late=digest.late, round_day=day,
            raw=message.as_bytes(), created_at=now, claimed_by=owner, claimed_at=now, attempts=0))
        done = rowcount(session.execute(
            update(DeliveryRow).where(DeliveryRow.state == "pending", DeliveryRow.id.in_(
                select(RoundItemRow.delivery_id).where(RoundItemRow.recipient == recipient)))
            .values(state="queued", message_id=message_id).execution_options(synchronize_session=False)))
        if done != claims:
            raise ConcurrentRound(f"round {day}: {claims - done} of {recipient}'s deliveries were claimed by "
                                  "another process; nothing of this round was stored")
        outgoing.append(Outgoing(message_id, recipient))
    session.execute(delete(RoundItemRow))
    mark(session, "round", now, day)
    log.info("round day=%s messages=%d deliveries=%d suppressed=%d obsolete=%d late=%s", day, len(outgoing),
             counts["claimed"], counts["suppressed"], counts["obsolete"], late)
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
