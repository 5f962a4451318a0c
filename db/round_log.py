"""The digest rounds' record (``digest_round``): each durable round with the recipient set it was for, and the held
rounds an administrator approves or refuses. Every decision is a conditional UPDATE whose WHERE is
monitor/rules/states.py's ROUND_MOVES: a round is approved once, whoever asks twice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from db.ledger import IDS_PER_STATEMENT
from db.models import AccountRegionRow, AccountRow, ClusterRow, DeliveryRow, DigestRoundRow, ReminderRow
from db.queries import aware
from db.round_queries import Pending
from db.session import rowcount
from monitor.rules.access import Account, Role
from monitor.rules.audience import Addresses, Subscriber, split, subscriber
from monitor.rules.states import DeliveryState, RoundState, delivery_sources, round_sources


class Round(NamedTuple):
    id: str
    day: dt.date
    created_at: dt.datetime
    state: str
    audience: str
    grown: str | None
    decided_by: str | None
    decided_at: dt.datetime | None
    reason: str | None


def _round(row: DigestRoundRow) -> Round:
    return Round(row.id, row.day, aware(row.created_at), row.state, row.audience, row.grown, row.decided_by,
                 None if row.decided_at is None else aware(row.decided_at), row.reason)


def roster_addresses(session: Session) -> list[Addresses]:
    """Every cluster's region and addresses: what the recipient set is made of."""
    return [Addresses(*row) for row in session.execute(
        select(ClusterRow.region, ClusterRow.bureau_email, ClusterRow.operator_email))]


def subscribers(session: Session) -> list[Subscriber]:
    """The accounts the digest mails (enabled, with an address, the digest ticked on their profile), by name, each
    with the regions it sees: the rest of the recipient set."""
    rows = session.execute(select(AccountRow.id, AccountRow.name, AccountRow.role, AccountRow.email,
                                  AccountRow.disabled, AccountRow.digest_email)
                           .where(AccountRow.disabled.is_(False), AccountRow.digest_email.is_(True),
                                  AccountRow.email != "")
                           .order_by(AccountRow.name)).all()
    covers: dict[int, list[str]] = {}
    for account_id, region in session.execute(select(AccountRegionRow.account_id, AccountRegionRow.region)
                                              .order_by(AccountRegionRow.region)):
        covers.setdefault(account_id, []).append(region)
    found = (subscriber(Account(id_, name, Role(role), tuple(covers.get(id_, ()))), email, disabled, wants)
             for id_, name, role, email, disabled, wants in rows)
    return [one for one in found if one is not None]


def last_sent_audience(session: Session) -> str | None:
    """The recipient set (JSON) of the newest round sent whole or approved; None before the first."""
    newest = func.coalesce(DigestRoundRow.decided_at, DigestRoundRow.created_at)
    return session.execute(select(DigestRoundRow.audience)
                           .where(DigestRoundRow.state.in_((RoundState.SENT, RoundState.APPROVED)))
                           .order_by(newest.desc()).limit(1)).scalar()


def record(session: Session, round_id: str, day: dt.date, now: dt.datetime, state: RoundState, audience: str,
           grown: str | None = None) -> None:
    session.execute(insert(DigestRoundRow).values(id=round_id, day=day, created_at=now, state=state,
                                                  audience=audience, grown=grown))


def regrown(session: Session, round_id: str, audience: str, grown: str) -> None:
    """A held round that a later round added to: the recipient set it now stands for."""
    session.execute(update(DigestRoundRow).where(DigestRoundRow.id == round_id, DigestRoundRow.state == RoundState.HELD)
                    .values(audience=audience, grown=grown))


def forget(session: Session, round_id: str) -> None:
    """A held round that held nothing after all."""
    session.execute(delete(DigestRoundRow).where(DigestRoundRow.id == round_id,
                                                 DigestRoundRow.state == RoundState.HELD))


def get(session: Session, round_id: str) -> Round | None:
    row = session.get(DigestRoundRow, round_id)
    return None if row is None else _round(row)


def open_held(session: Session) -> Round | None:
    """The newest round held and not decided yet."""
    row = session.execute(select(DigestRoundRow).where(DigestRoundRow.state == RoundState.HELD)
                          .order_by(DigestRoundRow.created_at.desc()).limit(1)).scalar()
    return None if row is None else _round(row)


def awaiting(session: Session) -> list[Round]:
    """The rounds held or refused, newest first: what an administrator may still approve."""
    return [_round(row) for row in session.execute(
        select(DigestRoundRow).where(DigestRoundRow.state.in_((RoundState.HELD, RoundState.REFUSED)))
        .order_by(DigestRoundRow.created_at.desc())).scalars()]


def decide(session: Session, round_id: str, target: RoundState, who: str, at: dt.datetime,
           reason: str | None) -> bool:
    """Approve or refuse a round: only from the states ROUND_MOVES allows. True if this call made the move."""
    return rowcount(session.execute(
        update(DigestRoundRow).where(DigestRoundRow.id == round_id, DigestRoundRow.state.in_(round_sources(target)))
        .values(state=target, decided_by=who, decided_at=at, reason=reason)
        .execution_options(synchronize_session=False))) == 1


def held_deliveries(session: Session, round_id: str) -> list[Pending]:
    """The deliveries a round holds, by cluster, subject, recipient and id (as a round reads pending ones)."""
    return [Pending(*row) for row in session.execute(
        select(DeliveryRow.id, DeliveryRow.recipient, ReminderRow.cluster_id, ReminderRow.subject, ReminderRow.late,
               ReminderRow.stage)
        .join(ReminderRow, ReminderRow.id == DeliveryRow.reminder_id)
        .where(DeliveryRow.state == DeliveryState.HELD, DeliveryRow.held_round == round_id)
        .order_by(ReminderRow.cluster_id, ReminderRow.subject, DeliveryRow.recipient, DeliveryRow.id))]


def held_by_kind(session: Session, round_id: str) -> dict[str, tuple[int, int]]:
    """What a round holds, by the recipient's role (bureau or operator, as the cluster names the address; account:
    an address the cluster does not name, there because of an account's profile): (recipients, deliveries)."""
    rows = session.execute(
        select(DeliveryRow.recipient, ClusterRow.bureau_email, ClusterRow.operator_email)
        .join(ReminderRow, ReminderRow.id == DeliveryRow.reminder_id)
        .join(ClusterRow, ClusterRow.id == ReminderRow.cluster_id)
        .where(DeliveryRow.state == DeliveryState.HELD, DeliveryRow.held_round == round_id))
    recipients: dict[str, set[str]] = {}
    deliveries: dict[str, int] = {}
    for recipient, bureau, operator in rows:
        kind = "bureau" if recipient in split(bureau) else "operator" if recipient in split(operator) else "account"
        recipients.setdefault(kind, set()).add(recipient)
        deliveries[kind] = deliveries.get(kind, 0) + 1
    return {kind: (len(recipients[kind]), deliveries[kind]) for kind in sorted(recipients)}


def hold(session: Session, delivery_ids: Sequence[int], round_id: str) -> int:
    """Hold these deliveries, those still pending, in ``round_id``; how many."""
    return sum(rowcount(session.execute(
        update(DeliveryRow).where(DeliveryRow.id.in_(delivery_ids[i:i + IDS_PER_STATEMENT]),
                                  DeliveryRow.state.in_(delivery_sources(DeliveryState.HELD)))
        .values(state=DeliveryState.HELD, held_round=round_id).execution_options(synchronize_session=False)))
        for i in range(0, len(delivery_ids), IDS_PER_STATEMENT))


def approved_with_held(session: Session) -> list[str]:
    """The approved rounds whose deliveries are still held (approved in the console: the daemon releases them)."""
    return list(session.execute(
        select(DigestRoundRow.id).where(DigestRoundRow.state == RoundState.APPROVED,
                                        select(DeliveryRow.id).where(DeliveryRow.held_round == DigestRoundRow.id,
                                                                     DeliveryRow.state == DeliveryState.HELD)
                                        .exists())
        .order_by(DigestRoundRow.created_at)).scalars())
