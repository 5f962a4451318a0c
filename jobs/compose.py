"""Composing a digest round: pending deliveries become one stored message per recipient (jobs/deliver.py sends).

``build_round`` runs in one transaction. It claims each recipient's pending deliveries with a conditional
``UPDATE … WHERE state = 'pending'`` and stores the whole message (bytes and Message-ID) in the same
transaction, so a delivery belongs to exactly one message or to none. On PostgreSQL only one daemon builds at a
time (a transaction-level advisory lock); a second daemon finds nothing pending. If another process claimed
some of the deliveries all the same, the round is rolled back whole (ConcurrentRound) and retried next tick.

Memory stays bounded on any roster: clusters are evaluated a slice at a time, and each delivery to claim is
written with the digest item it shows to scratch rows (``round_item``), read back one recipient at a time.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import fields
from itertools import groupby
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, delete, insert, or_, select, text, update
from sqlalchemy.orm import Session

from db.ledger import mark
from db.models import DeliveryRow, MessageRow, ReminderRow, RoundItemRow
from db.queries import active_holds
from db.read import SessionReads
from db.session import rowcount
from monitor.app import App
from monitor.config import ChannelSettings, Settings
from monitor.overview import Selection, evaluated
from monitor.rules.listing import Evaluated
from monitor.rules.routes import CHANNEL_PREFIX, channel_name, is_channel
from monitor.rules.stages import open_item
from monitor.rules.states import DeliveryState, MessageState, delivery_sources
from notifications.digest import Digest, Item, Letterhead, build_message, obligation_item, warning_item
from notifications.posts import channel_post

log = logging.getLogger("monitor.round")

#: clusters loaded at a time when a round re-evaluates the clusters it is about to remind of
IDS_PER_QUERY = 500
ROUND_LOCK = 7331002


class ConcurrentRound(Exception):
    """Another process claimed some of the deliveries this round was building; it was rolled back whole."""


class Pending(NamedTuple):
    delivery_id: int
    recipient: str
    cluster_id: str
    subject: str
    late: bool


class Transports(NamedTuple):
    """What this round can send: e-mail (smtp.host is set) and the configured channels. Deliveries to anything
    else stay pending, untouched, until it is configured."""
    email: bool
    channels: tuple[ChannelSettings, ...]

    def where(self) -> ColumnElement[bool]:
        """The deliveries this round claims."""
        channels = DeliveryRow.recipient.in_([channel.recipient for channel in self.channels])
        return or_(~DeliveryRow.recipient.startswith(CHANNEL_PREFIX), channels) if self.email else channels

    @classmethod
    def every(cls, settings: Settings) -> Transports:
        """Everything configured, and e-mail whether or not it can be sent (a preview shows it all)."""
        return cls(True, settings.channels)

    def channel(self, recipient: str) -> ChannelSettings:
        return next(c for c in self.channels if c.name == channel_name(recipient))


class Outgoing(NamedTuple):
    id: str             # the Message-ID; its bytes are read from the ledger just before sending
    recipient: str


# --- scratch rows: an Item to a round_item row and back, field by field ------------------------------------------

_ITEM_FIELDS = tuple(f.name for f in fields(Item))
#: Item.group is stored as round_item.grp; every other field under its own name
_COLUMN = {name: ("grp" if name == "group" else name) for name in _ITEM_FIELDS}


def item_to_row(item: Item | None) -> dict[str, Any]:
    """The round_item columns of an item; all None when another stage of the same subject shows it."""
    return {column: (None if item is None else getattr(item, name)) for name, column in _COLUMN.items()}


def item_from_row(row: Any) -> Item | None:
    """The item a round_item row shows, None if it shows none."""
    if row.grp is None:
        return None
    return Item(**{name: getattr(row, column) for name, column in _COLUMN.items()})


# --- the round ---------------------------------------------------------------------------------------------------

def update_deliveries(session: Session, ids: list[int], values: dict[str, object], *where: Any) -> int:
    """UPDATE delivery rows by id, IDS_PER_QUERY ids a statement (SQLite bounds bound parameters); rows changed."""
    return sum(rowcount(session.execute(
        update(DeliveryRow).where(DeliveryRow.id.in_(ids[i:i + IDS_PER_QUERY]), *where).values(**values)
        .execution_options(synchronize_session=False))) for i in range(0, len(ids), IDS_PER_QUERY))


def _pending_clusters(session: Session, after: str | None, transports: Transports) -> list[str]:
    """The next IDS_PER_QUERY clusters (by id, after ``after``) with a pending delivery this round can send."""
    query = (select(ReminderRow.cluster_id).distinct().join(DeliveryRow, DeliveryRow.reminder_id == ReminderRow.id)
             .where(DeliveryRow.state == DeliveryState.PENDING, transports.where())
             .order_by(ReminderRow.cluster_id).limit(IDS_PER_QUERY))
    if after is not None:
        query = query.where(ReminderRow.cluster_id > after)
    return list(session.execute(query).scalars())


def _pending(session: Session, cluster_ids: list[str], transports: Transports) -> list[Pending]:
    return [Pending(*row) for row in session.execute(
        select(DeliveryRow.id, DeliveryRow.recipient, ReminderRow.cluster_id, ReminderRow.subject, ReminderRow.late)
        .join(ReminderRow, ReminderRow.id == DeliveryRow.reminder_id)
        .where(DeliveryRow.state == DeliveryState.PENDING, ReminderRow.cluster_id.in_(cluster_ids),
               transports.where())
        .order_by(ReminderRow.cluster_id, ReminderRow.subject, DeliveryRow.recipient, DeliveryRow.id))]


def digest_item(app: App, found: Evaluated | None, subject: str, late: bool) -> Item | None:
    """What a delivery is about, as of the round; ``None`` when it is done or gone (the reminder is obsolete)."""
    if found is None or found.verdict.state == "revoked":
        return None
    facts, verdict = found
    lang, policy = app.settings.language, app.pack(facts.cluster.regime).title
    obligation = open_item(verdict, subject)
    if obligation is not None:
        return obligation_item(facts.cluster, obligation, verdict, late, lang, policy)
    warning = next((w for w in verdict.warnings if w.key == subject), None)
    return None if warning is None else warning_item(facts.cluster, warning, late, lang, policy)


def held(found: Evaluated | None, subject: str, holds: set[tuple[str, str]]) -> bool:
    """Snoozed itself, or acknowledged through the warning it carries (an overdue filing's warning)."""
    if found is None:
        return False
    cid = found.facts.cluster.id
    return (cid, subject) in holds or any(
        w.obligation == subject and (cid, w.key) in holds for w in found.verdict.warnings)


def _sort_out(app: App, session: Session, day: dt.date, now: dt.datetime, late: bool,
              transports: Transports) -> dict[str, int]:
    """First pass, a slice of clusters at a time: settle what is obsolete or held, and write each delivery to
    claim, with the item it shows, to the round's scratch rows. Only one slice is ever in memory."""
    holds = {(hold.cluster_id, hold.subject) for hold in active_holds(SessionReads(session.connection()), day)}
    counts = {"claimed": 0, DeliveryState.SUPPRESSED: 0, DeliveryState.OBSOLETE: 0}
    after: str | None = None
    while cluster_ids := _pending_clusters(session, after, transports):
        after = cluster_ids[-1]
        found = {e.facts.cluster.id: e for e in evaluated(app, Selection(day, tuple(cluster_ids)))}
        settled: dict[DeliveryState, list[int]] = {DeliveryState.SUPPRESSED: [], DeliveryState.OBSOLETE: []}
        scratch: list[dict[str, Any]] = []
        previous: tuple[str, str, str] | None = None
        for row in _pending(session, cluster_ids, transports):
            cluster = found.get(row.cluster_id)
            item = digest_item(app, cluster, row.subject, row.late or late)
            if item is None:
                settled[DeliveryState.OBSOLETE].append(row.delivery_id)
            elif held(cluster, row.subject, holds):
                settled[DeliveryState.SUPPRESSED].append(row.delivery_id)
            else:
                shown = previous != (row.cluster_id, row.subject, row.recipient)   # two stages make one item
                scratch.append({"recipient": row.recipient, "delivery_id": row.delivery_id,
                                **item_to_row(item if shown else None)})
                previous = (row.cluster_id, row.subject, row.recipient)
        if scratch:
            session.execute(insert(RoundItemRow), scratch)
        for state, ids in settled.items():
            update_deliveries(session, ids, {"state": state, "settled_at": now})
            counts[state] += len(ids)
        counts["claimed"] += len(scratch)
    return counts


def build_round(app: App, session: Session, day: dt.date, now: dt.datetime, owner: str, transports: Transports,
                late: bool = False) -> list[Outgoing]:
    """Claim every pending delivery this round can send into one message per recipient (an e-mail, or a chat
    message for a channel), in the caller's transaction."""
    conn = session.connection()
    if conn.dialect.name == "postgresql" and not conn.execute(
            text(f"SELECT pg_try_advisory_xact_lock({ROUND_LOCK})")).scalar():
        log.info("round day=%s skipped: another daemon is building one", day)
        return []
    counts = _sort_out(app, session, day, now, late, transports)
    settings = app.settings
    letterhead = Letterhead.of(settings)
    outgoing: list[Outgoing] = []
    table = RoundItemRow.__table__
    stream = session.execute(   # plain rows, not ORM objects: nothing accumulates in the session
        select(table).order_by(table.c.recipient, table.c.id).execution_options(yield_per=1000))
    for recipient, rows in groupby(stream, key=lambda row: row.recipient):
        digest, claims = Digest(), 0
        for row in rows:
            claims += 1
            item = item_from_row(row)
            if item is not None:
                digest.add(item)
        if is_channel(recipient):
            reference = f"{day:%Y%m%d}-{secrets.token_hex(4)}"   # shown in the post: a repeat is recognisable
            message_id = f"<{reference}@channel.monitor>"
            raw = channel_post(transports.channel(recipient), digest, day, settings.language, letterhead, reference)
        else:
            message = build_message(letterhead, recipient, digest, day, settings.language, now)
            message_id, raw = str(message["Message-ID"]), message.as_bytes()   # a plain str, not the header object
        session.execute(insert(MessageRow).values(
            id=message_id, recipient=recipient, state=MessageState.CLAIMED, late=digest.late, round_day=day,
            raw=raw, created_at=now, claimed_by=owner, claimed_at=now, attempts=0))
        done = rowcount(session.execute(
            update(DeliveryRow).where(DeliveryRow.state.in_(delivery_sources(DeliveryState.QUEUED)), DeliveryRow.id.in_(
                select(RoundItemRow.delivery_id).where(RoundItemRow.recipient == recipient)))
            .values(state=DeliveryState.QUEUED, message_id=message_id).execution_options(synchronize_session=False)))
        if done != claims:
            raise ConcurrentRound(f"round {day}: {claims - done} of {recipient}'s deliveries were claimed by "
                                  "another process; nothing of this round was stored")
        outgoing.append(Outgoing(message_id, recipient))
    session.execute(delete(RoundItemRow))
    mark(session, "round", now, day)
    log.info("round day=%s messages=%d deliveries=%d suppressed=%d obsolete=%d late=%s", day, len(outgoing),
             counts["claimed"], counts[DeliveryState.SUPPRESSED], counts[DeliveryState.OBSOLETE], late)
    return outgoing
