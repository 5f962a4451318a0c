"""Messages to a person, as the daemon's steps use them (monitor/rules/personal.py decides who and when).

- ``split``: the configured channels, group ones (a robot, a webhook: ``channel:NAME``) and personal ones (an
  app writing to each person: ``channel:NAME:ACCOUNT``), told apart by their class's ``id_field``, not by name;
- ``scan_people``: who the scan adds deliveries for (accounts, not disabled);
- ``due_now``: the personal recipients a round, or a daemon tick, writes to now (their window, their once a day);
- ``reach``: for a caller that wants one person told about a reminder on every channel that reaches them (an
  escalation step): a pending delivery on each, into the same ledger, sent once by the next round or tick in
  the person's window.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from db import ledger, person_queries, reminder_queries
from monitor.config import ChannelSettings, Settings
from monitor.rules.personal import Person, PersonalChannel, due
from monitor.rules.personal import reach as person_reach
from monitor.rules.routes import channel_name
from monitor.rules.states import DeliveryState


def split(settings: Settings) -> tuple[tuple[ChannelSettings, ...], tuple[PersonalChannel, ...]]:
    """The group channels, and the personal ones (with the id each addresses people by):
    notifications.channels.split."""
    from notifications.channels import split as split_channels

    return split_channels(settings.channels)


def scan_people(session: Session, personal: Sequence[PersonalChannel]) -> list[Person]:
    """The accounts a scan reaches on personal channels (none read when no personal channel is configured)."""
    return person_queries.people(session) if personal else []


def due_now(session: Session, settings: Settings, now: dt.datetime, at_round: bool, last_slot: dt.datetime | None,
            is_workday: Callable[[dt.date], bool]) -> tuple[str, ...]:
    """The personal recipients (``channel:NAME:ACCOUNT``) written to now: inside their window, and, once a day,
    if nothing was written to them on that channel today; at a tick, those a round held for their window."""
    _, personal = split(settings)
    if not personal:
        return ()
    zone = ZoneInfo(settings.timezone)
    local, slot = now.astimezone(zone), (None if last_slot is None else last_slot.astimezone(zone))
    people = person_queries.people(session)
    candidates = [(person, recipient) for person in people for recipient in person_reach(person, personal)]
    last = person_queries.last_messages(session, sorted(recipient for _, recipient in candidates))
    return tuple(sorted(recipient for person, recipient in candidates
                        if due(person, local, is_workday, at_round, slot,
                               None if recipient not in last else last[recipient].astimezone(zone))))


def reach(session: Session, settings: Settings, account: str, reminder_ids: Sequence[int]) -> list[str]:
    """Have ``account`` told of these reminders on every personal channel that reaches them (their ids set, the
    channel not turned off): a pending delivery each, unique per (reminder, person, channel), so that calling it
    twice adds nothing. The recipients reached; none if the account is unknown, disabled or has no channel."""
    _, personal = split(settings)
    person = next((p for p in person_queries.people(session) if p.name == account), None)
    if person is None:
        return []
    recipients = person_reach(person, personal)
    reminder_queries.add_deliveries(session, [(rid, recipient) for rid in reminder_ids for recipient in recipients])
    return recipients


def drop_unreachable(session: Session, settings: Settings, at: dt.datetime) -> int:
    """Settle as suppressed what is pending for people a configured personal channel no longer reaches (they
    turned it off, their id was removed, their account disabled or deleted): nothing would ever send it. A
    channel removed from config.toml keeps its deliveries pending, as a group channel's, until it is back."""
    _, personal = split(settings)
    names = {channel.name for channel in personal}
    reachable = {recipient for person in person_queries.people(session) for recipient in person_reach(person, personal)}
    gone = [recipient for recipient in person_queries.pending_people(session)
            if channel_name(recipient) in names and recipient not in reachable]
    return ledger.settle_recipients(session, gone, DeliveryState.SUPPRESSED, at) if gone else 0
