"""Composing a digest round: pending deliveries become one stored message per recipient (jobs/deliver.py sends).

A round is built in short transactions, so that a ``record`` on SQLite never waits behind a whole round:

1. a slice of clusters at a time, what is obsolete or held is settled and each delivery to claim is written,
   with the digest item it shows, to scratch rows named by the round (``round_item.round_id``); committed per
   slice;
2. one recipient at a time, its deliveries are claimed (``ledger.claim_deliveries``: each only while it is
   pending) and its whole message (bytes and Message-ID) is stored, in one transaction: a delivery belongs to
   exactly one message or to none. If another process claimed some of them, that recipient's transaction is
   rolled back and the others go on.

A pending delivery whose recipient is no longer mailed about its cluster (it was recorded for an account that is
disabled since, no longer wants the digest, has another address or no longer sees the region:
``Mailable.keeps``) is settled obsolete, not sent.

A round is recorded with its recipient set (db/round_log.py). When the set grew since the last round sent
(docs/rules.md, "Who is mailed"), the first pass holds the deliveries to anyone but the administrators and the
channels (pending to held, named by the held round) instead of writing them to the scratch rows; an approval
releases them (jobs/approve.py). A preview holds nothing: it shows every message.

On PostgreSQL only one daemon builds at a time (a session-level advisory lock, held on a connection of its own
for the round); a second daemon skips the round (RoundLocked) and tries it again once a lease has passed
(jobs/daemon.py). A preview (``durable=False``) commits nothing: it runs in the
caller's one transaction, which the caller rolls back, and a clash raises ConcurrentRound.

Memory stays bounded on any roster: one slice of clusters, then one recipient's rows, at a time.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from contextlib import nullcontext
from dataclasses import fields, replace
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from db import ledger, person_queries, round_log, round_queries
from db.daemon_marks import mark
from db.queries import active_holds
from db.read import SessionReads
from db.round_queries import Pending
from monitor.app import App
from monitor.config import ChannelSettings, Settings
from monitor.errors import Said
from monitor.overview import Selection, evaluated
from monitor.rules.audience import Audience, Choice, Mailable, audience, split
from monitor.rules.escalation import parse_stage
from monitor.rules.listing import Evaluated
from monitor.rules.personal import Person
from monitor.rules.principal import grounds
from monitor.rules.routes import channel_name, is_channel, person_of
from monitor.rules.stages import open_item
from monitor.rules.states import DeliveryState, RoundState
from monitor.views.words import digest_words
from notifications.digest import Digest, Item, Letterhead, build_message, obligation_item, warning_item
from notifications.posts import channel_post

log = logging.getLogger("monitor.round")

#: clusters loaded at a time when a round re-evaluates the clusters it is about to remind of
IDS_PER_QUERY = 500


class ConcurrentRound(Exception):
    """Another process claimed some of the deliveries this round was building; it was rolled back whole."""


class RoundLocked(Exception):
    """Another daemon holds the round lock (it is building a round, or died doing so and its connection is not
    gone yet): this round was not built, and its deliveries wait, pending."""


class Transports(NamedTuple):
    """What this round can send: e-mail (smtp.host is set), the configured channels, and the people personal
    channels write to now (``channel:NAME:ACCOUNT``: their window is open; jobs/people.py). Deliveries to anything
    else stay pending, untouched, until it is configured (or, a person's, until their window opens)."""
    email: bool
    channels: tuple[ChannelSettings, ...]
    people: tuple[str, ...] = ()
    every_person: bool = False      # a preview: every person, whatever their window
    personal_only: bool = False     # a daemon tick's pass for people only: no digest round is recorded

    def recipients(self) -> list[str]:
        """The channels' recipients (``channel:NAME``) and the people due now: with e-mail (if ``email``), the
        deliveries this round claims (a pass for people only: the people)."""
        if self.personal_only:
            return list(self.people)
        return [*(channel.recipient for channel in self.channels), *self.people]

    @classmethod
    def every(cls, settings: Settings) -> Transports:
        """Everything configured, and e-mail whether or not it can be sent (a preview shows it all)."""
        return cls(True, settings.channels, every_person=True)

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

def _pending_clusters(session: Session, after: str | None, transports: Transports) -> list[str]:
    """The next IDS_PER_QUERY clusters (by id, after ``after``) with a pending delivery this round can send."""
    return round_queries.pending_clusters(session, after, IDS_PER_QUERY, transports.email, transports.recipients(),
                                          transports.every_person)


def _pending(session: Session, cluster_ids: list[str], transports: Transports) -> list[Pending]:
    return round_queries.pending_deliveries(session, cluster_ids, transports.email, transports.recipients(),
                                            transports.every_person)


def digest_item(app: App, found: Evaluated | None, subject: str, late: bool, under: int = 0) -> Item | None:
    """What a delivery is about, as of the round; ``None`` when it is done or gone (the reminder is obsolete).
    ``under``: how many overdue items are counted under it, the principal ground (said after what it is)."""
    if found is None or found.verdict.state == "revoked":
        return None
    facts, verdict = found
    lang, policy = app.settings.language, app.pack(facts.cluster.regime).title
    obligation = open_item(verdict, subject)
    item: Item | None
    if obligation is not None:
        item = obligation_item(facts.cluster, obligation, verdict, late, lang, policy)
    else:
        warning = next((w for w in verdict.warnings if w.key == subject), None)
        item = None if warning is None else warning_item(facts.cluster, warning, late, lang, policy)
    if item is not None and under:
        item = replace(item, what=item.what + digest_words(lang)["under"].format(n=under))
    return item


def principal_subject(found: Evaluated | None, subject: str) -> tuple[str, int] | None:
    """When ``subject`` (an obligation, or a warning) is counted under its cluster's principal ground
    (monitor.rules.principal) or is that ground: the subject the digest shows instead (the principal's obligation,
    else its key) and how many are counted under it. None otherwise: the subject is shown as itself."""
    if found is None:
        return None
    shown = grounds(found.verdict.warnings, found.verdict.obligations)
    principal = shown.principal
    if principal is None or not shown.under:
        return None
    own = {principal.key, principal.obligation}
    if subject not in own and not any(subject in (w.key, w.obligation) for w in shown.under):
        return None
    target = principal.obligation if open_item(found.verdict, principal.obligation or "") else principal.key
    return target or principal.key, len(shown.under)


def held(found: Evaluated | None, subject: str, holds: set[tuple[str, str]]) -> bool:
    """Snoozed itself, or acknowledged through the warning it carries (an overdue filing's warning)."""
    if found is None:
        return False
    cid = found.facts.cluster.id
    return (cid, subject) in holds or any(
        w.obligation == subject and (cid, w.key) in holds for w in found.verdict.warnings)


class Hold(NamedTuple):
    """A round whose recipient set grew: its deliveries to anyone but the administrators (and the channels, each
    chosen by its own ``roles``) are held in ``round_id`` until an administrator approves it."""
    round_id: str
    administrators: frozenset[str]

    def holds(self, recipient: str) -> bool:
        return not is_channel(recipient) and recipient not in self.administrators


class Sorted(NamedTuple):
    scratch: list[dict[str, Any]]
    settled: dict[DeliveryState, list[int]]
    held: list[int]


def unwanted(found: Evaluated | None, recipient: str, mailable: Mailable) -> bool:
    """A delivery to an e-mail address that nobody asks for any more (see ``Mailable.keeps``)."""
    if found is None or is_channel(recipient):
        return False
    cluster = found.facts.cluster
    return not mailable.keeps(recipient, cluster.region, [*cluster.bureau_email, *cluster.operator_email])


def mailable_now(app: App, session: Session) -> Mailable:
    """Who may be mailed as of this round: the administrators and the accounts that want the digest."""
    return Mailable.of(app.settings.administrators, round_log.subscribers(session))


def sort_rows(app: App, rows: list[Pending], found: dict[str, Evaluated], holds: set[tuple[str, str]], late: bool,
              round_id: str, mailable: Mailable, hold: Hold | None = None) -> Sorted:
    """A slice's deliveries, sorted: obsolete (done or gone, or to a recipient nobody asks for any more: an
    account's preference turned off), suppressed (an ack or a snooze), held (``hold``), or to claim, with the item
    each shows written as a scratch row of ``round_id``."""
    settled: dict[DeliveryState, list[int]] = {DeliveryState.SUPPRESSED: [], DeliveryState.OBSOLETE: []}
    scratch: list[dict[str, Any]] = []
    kept: list[int] = []
    seen: set[tuple[str, str, str]] = set()
    # an escalation step first: of two stages of one subject to one recipient, the item shown says it escalated
    for row in sorted(rows, key=lambda r: parse_stage(r.stage) is None):
        cluster = found.get(row.cluster_id)
        item = digest_item(app, cluster, row.subject, row.late or late)
        step = parse_stage(row.stage)
        # an escalation step's recipients are its own choice (config's [[escalation]]), not the digest's subscribers
        if item is None or (step is None and unwanted(cluster, row.recipient, mailable)):
            settled[DeliveryState.OBSOLETE].append(row.delivery_id)
        elif held(cluster, row.subject, holds):
            settled[DeliveryState.SUPPRESSED].append(row.delivery_id)
        elif hold is not None and hold.holds(row.recipient):
            kept.append(row.delivery_id)
        else:
            # an overdue item counted under the principal ground is shown as the principal, with the count,
            # once for the cluster (unless the principal is held: then it is shown as itself)
            shows, principal = row.subject, principal_subject(cluster, row.subject)
            if step is not None:        # shown as itself, saying which step and how long unacknowledged
                principal = None
                said = digest_words(app.settings.language)["escalated" if step.after_days else "escalated_first"]
                item = replace(item, what=item.what + said.format(n=step.number, days=step.after_days))
            if principal is not None and not held(cluster, principal[0], holds):
                shows = principal[0]
                item = digest_item(app, cluster, shows, row.late or late, principal[1]) or item
            once = (row.cluster_id, shows, row.recipient)       # two stages, or items under one ground: one
            scratch.append({"round_id": round_id, "recipient": row.recipient, "delivery_id": row.delivery_id,
                            **item_to_row(item if once not in seen else None)})
            seen.add(once)
    return Sorted(scratch, settled, kept)


def _sort_out(app: App, session: Session, day: dt.date, now: dt.datetime, late: bool, transports: Transports,
              round_id: str, durable: bool, hold: Hold | None) -> dict[str, int]:
    """First pass, a slice of clusters at a time: settle what is obsolete or held, and write each delivery to
    claim, with the item it shows, to the round's scratch rows. Only one slice is ever in memory; with
    ``durable``, each slice is committed."""
    holds = {(h.cluster_id, h.subject) for h in active_holds(SessionReads(session.connection()), day)}
    mailable = mailable_now(app, session)
    counts = {"claimed": 0, DeliveryState.SUPPRESSED: 0, DeliveryState.OBSOLETE: 0, DeliveryState.HELD: 0}
    after: str | None = None
    while cluster_ids := _pending_clusters(session, after, transports):
        after = cluster_ids[-1]
        found = {e.facts.cluster.id: e for e in evaluated(app, Selection(day, tuple(cluster_ids)))}
        done = sort_rows(app, _pending(session, cluster_ids, transports), found, holds, late, round_id, mailable,
                         hold)
        if done.scratch:
            round_queries.add_items(session, done.scratch)
        for state, ids in done.settled.items():
            ledger.settle_pending(session, ids, state, now)
            counts[state] += len(ids)
        if hold is not None and done.held:
            counts[DeliveryState.HELD] += round_log.hold(session, done.held, hold.round_id)
        counts["claimed"] += len(done.scratch)
        if durable:
            session.commit()
    return counts


def _recipient_set(app: App, session: Session) -> tuple[Audience, str | None]:
    """This round's recipient set, and why it grew since the last round sent (None: it did not)."""
    settings = app.settings
    current = audience(round_log.roster_addresses(session), Choice(settings.digest_roles, settings.digest_regions),
                       settings.administrators, round_log.subscribers(session))
    before = round_log.last_sent_audience(session)
    return current, current.grown_from(None if before is None else Audience.from_json(before),
                                       settings.file.digest.grown_share)


def _open_hold(app: App, session: Session, day: dt.date, now: dt.datetime, round_id: str,
               current: Audience, grown: str) -> tuple[Hold, bool]:
    """The round that holds what this one may not send yet: the held round not decided yet, if any (what it holds
    is approved together), else this one, recorded now; and whether it is this one."""
    admins = frozenset(a.strip().lower() for a in app.settings.administrators)
    waiting = round_log.open_held(session)
    if waiting is not None:
        round_log.regrown(session, waiting.id, current.to_json(), grown)
        return Hold(waiting.id, admins), False
    round_log.record(session, round_id, day, now, RoundState.HELD, current.to_json(), grown)
    return Hold(round_id, admins), True


def round_name(now: dt.datetime, owner: str) -> str:
    """A round's id: its start (so older rounds sort first) and its owner."""
    return f"{now.astimezone(dt.UTC):%Y%m%dT%H%M%S.%f}-{owner}"[:96]


def _sweep(session: Session, now: dt.datetime, lease_seconds: int) -> None:
    """Remove the scratch rows of rounds that started more than a claim's lease ago: their process died."""
    round_queries.sweep(session, round_name(now - dt.timedelta(seconds=lease_seconds), ""))


def build_round(app: App, session: Session, day: dt.date, now: dt.datetime, owner: str, transports: Transports,
                late: bool = False, durable: bool = True) -> list[Outgoing]:
    """Claim every pending delivery this round can send into one message per recipient (an e-mail, or a chat
    message for a channel). ``durable``: commit as it goes (the daemon); otherwise write in the caller's
    transaction and commit nothing (a preview, rolled back by its caller). RoundLocked if another daemon is
    building one."""
    # on PostgreSQL one daemon builds at a time; a preview, rolled back whole, needs no lock
    with round_queries.round_lock(session) if durable else nullcontext(True) as ours:
        if not ours:
            log.info("round day=%s skipped: another daemon is building one", day)
            raise RoundLocked
        round_id = round_name(now, owner)
        if durable:
            _sweep(session, now, app.settings.claim_lease_seconds)
        hold: Hold | None = None
        # a preview shows every message, held or not; a tick's pass for people holds nothing and is no round
        recorded = durable and not transports.personal_only
        if recorded:
            current, grown = _recipient_set(app, session)
            if grown is not None:
                hold, new = _open_hold(app, session, day, now, round_id, current, grown)
        counts = _sort_out(app, session, day, now, late, transports, round_id, durable, hold)
        outgoing = _compose(app, session, day, now, owner, transports, round_id, durable)
        round_queries.drop(session, round_id)
        if recorded and hold is None:
            round_log.record(session, round_id, day, now, RoundState.SENT, current.to_json())
        elif hold is not None and new and not counts[DeliveryState.HELD]:
            round_log.forget(session, round_id)     # grown, but nothing to hold yet: nothing to approve
        if not transports.personal_only:
            mark(session, "round", now, day)
        if durable:
            session.commit()
    log.info("%s day=%s messages=%d deliveries=%d suppressed=%d obsolete=%d held=%d late=%s",
             "personal" if transports.personal_only else "round", day, len(outgoing), counts["claimed"],
             counts[DeliveryState.SUPPRESSED], counts[DeliveryState.OBSOLETE], counts[DeliveryState.HELD], late)
    if hold is not None and counts[DeliveryState.HELD]:
        log.warning("%s", Said("round day={day}: the recipient set grew ({grown}): {count} deliveries to others "
                               "than the administrators are held in round {round} until an administrator approves "
                               "it (monitor digest --approve)", day=day, grown=grown,
                               count=counts[DeliveryState.HELD], round=hold.round_id))
    return outgoing


def _address(channel: ChannelSettings, people: dict[str, Person], account: str | None) -> str:
    """How a personal channel addresses the person a recipient names (their id on its service, as it is now);
    empty for a group channel. A person gone since the scan gets an empty address, which the service refuses:
    a recorded failure."""
    from notifications.channels import kinds

    field = kinds()[channel.type].id_field
    person = people.get(account or "")
    return "" if field is None or person is None else person.ids.get(field, "")


def _operators(app: App, session: Session) -> frozenset[str]:
    """The addresses only operators have (not an administrator's, not a bureau's, not an account's): their digests
    link nowhere, as operators have no console account, and say what to do in plain words."""
    staff = set(mailable_now(app, session).staff())
    operators: set[str] = set()
    for cluster in round_log.roster_addresses(session):
        staff.update(split(cluster.bureau))
        operators.update(split(cluster.operator))
    return frozenset(operators - staff)


def _compose(app: App, session: Session, day: dt.date, now: dt.datetime, owner: str, transports: Transports,
             round_id: str, durable: bool, source: DeliveryState = DeliveryState.PENDING) -> list[Outgoing]:
    """Second pass, one recipient at a time: its message, and the claim of its deliveries, in one transaction."""
    settings = app.settings
    letterhead = Letterhead.of(settings)
    operators = _operators(app, session)
    people = {person.name: person for person in person_queries.people(session)} if transports.channels else {}
    outgoing: list[Outgoing] = []
    for recipient in round_queries.recipients(session, round_id):
        rows = round_queries.items(session, round_id, recipient)
        digest = Digest()
        for row in rows:
            item = item_from_row(row)
            if item is not None:
                digest.add(item)
        if is_channel(recipient):
            reference = f"{day:%Y%m%d}-{secrets.token_hex(4)}"   # shown in the post: a repeat is recognisable
            message_id = f"<{reference}@channel.monitor>"
            channel = transports.channel(recipient)
            raw = channel_post(channel, digest, day, settings.language, letterhead, reference,
                               _address(channel, people, person_of(recipient)))
        else:
            message = build_message(letterhead, recipient, digest, day, settings.language, now,
                                    "operator" if recipient in operators else "staff")
            message_id, raw = str(message["Message-ID"]), message.as_bytes()   # a plain str, not the header object
        ledger.store_message(session, message_id, recipient, raw, digest.late, day, owner, now)
        done = ledger.claim_deliveries(session, round_id, recipient, message_id, source)
        if done == len(rows):
            outgoing.append(Outgoing(message_id, recipient))
            if durable:
                session.commit()
            continue
        problem = f"round {day}: {len(rows) - done} of {recipient}'s deliveries were claimed by another process"
        if not durable:
            raise ConcurrentRound(f"{problem}; nothing of this round was stored")
        session.rollback()      # this recipient's message and claims only: the others are committed or to come
        log.warning("%s; this recipient's message was not stored", problem)
    return outgoing
