"""The people personal channels reach (monitor/rules/personal.py): accounts as Persons, and what their channels
last received or still hold for them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import AccountRegionRow, AccountRow, DeliveryRow, MessageRow
from db.queries import aware
from monitor.rules.access import Account, Role
from monitor.rules.personal import EVERY, ID_FIELDS, Every, Person, Window, parse_window
from monitor.rules.routes import CHANNEL_PREFIX
from monitor.rules.states import DeliveryState

#: pieces of a recipient list in one IN (…), under SQLite's bound-parameter limit
IDS_PER_STATEMENT = 500


def person_of_row(row: AccountRow, covers: Sequence[str]) -> Person:
    try:
        start, end = parse_window(f"{row.window_from}-{row.window_until}")
    except ValueError:          # written by monitor.actions.reach only, which checks it; never fails a round
        start, end = Window().start, Window().end
    every: Every = "day" if row.digest_every == "day" else "round"
    assert every in EVERY
    return Person(Account(row.id, row.name, Role(row.role), tuple(covers)),
                  {name: getattr(row, name) or "" for name in ID_FIELDS},
                  frozenset(part for part in (row.muted_channels or "").split(",") if part),
                  Window(start, end, bool(row.window_workdays)), every)


def people(session: Session) -> list[Person]:
    """Every account that is not disabled, as a Person, by name."""
    covers: dict[int, list[str]] = {}
    for account_id, region in session.execute(select(AccountRegionRow.account_id, AccountRegionRow.region)
                                              .order_by(AccountRegionRow.region)):
        covers.setdefault(account_id, []).append(region)
    return [person_of_row(row, covers.get(row.id, ())) for row in session.scalars(
        select(AccountRow).where(AccountRow.disabled.is_(False)).order_by(AccountRow.name))]


def last_messages(session: Session, recipients: Sequence[str]) -> dict[str, dt.datetime]:
    """For each of these recipients that has a message: when its newest was made (aware, UTC)."""
    found: dict[str, dt.datetime] = {}
    for i in range(0, len(recipients), IDS_PER_STATEMENT):
        for recipient, newest in session.execute(
                select(MessageRow.recipient, func.max(MessageRow.created_at))
                .where(MessageRow.recipient.in_(recipients[i:i + IDS_PER_STATEMENT]))
                .group_by(MessageRow.recipient)):
            found[recipient] = aware(newest if isinstance(newest, dt.datetime)
                                     else dt.datetime.fromisoformat(str(newest)))
    return found


def waiting(session: Session, account: str) -> dict[str, int]:
    """The deliveries pending for ``account`` on each personal channel (by channel name): held for its window or
    its once-a-day digest, or not sent yet."""
    counts: dict[str, int] = {}
    for recipient, count in session.execute(
            select(DeliveryRow.recipient, func.count()).where(DeliveryRow.state == DeliveryState.PENDING,
                                                              DeliveryRow.recipient.like(f"{CHANNEL_PREFIX}%:%"))
            .group_by(DeliveryRow.recipient)):
        name, _, who = recipient.removeprefix(CHANNEL_PREFIX).partition(":")
        if who == account:
            counts[name] = count
    return counts


def pending_people(session: Session) -> list[str]:
    """The personal recipients (``channel:NAME:ACCOUNT``) with a pending delivery."""
    return list(session.execute(select(DeliveryRow.recipient).distinct().where(
        DeliveryRow.state == DeliveryState.PENDING, DeliveryRow.recipient.like(f"{CHANNEL_PREFIX}%:%"))).scalars())
