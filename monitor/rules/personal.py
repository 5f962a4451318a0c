"""Messages to a person (docs/rules.md, "Messages to a person"): who is reached on which personal channel, and
when. Pure: the accounts and the channels are plain values.

A personal channel (``[[channels]]`` of type ``wecom_app``, ``dingtalk_work`` or ``feishu_app``) reaches each
account that has the id its service addresses a person by (a 企业微信 userid, a 钉钉 userid, a 飞书 open_id),
about the clusters that account sees (monitor/rules/access.py), for the reminders the channel's ``roles``,
``regions`` and ``regimes`` carry (as a group channel's: monitor/rules/routes.py), unless the person turned
that channel off. Each is a recipient of its own, ``channel:NAME:ACCOUNT``: one delivery per (reminder, person,
channel).

When: only inside the person's window (working days 09:00–18:00 by default, in ``general.timezone``). A round
outside it leaves the person's deliveries pending (held, counted, never dropped); the first daemon tick inside
the next window sends them. ``every = "day"``: at most one message a day on each channel, the first round or
tick in the window that has something for them; ``"round"``: one at every digest round in the window.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from monitor.rules.access import Account
from monitor.rules.facts import Cluster
from monitor.rules.routes import person_recipient

#: the window a person is reached in, unless they chose another: working days, 09:00 to 18:00
DEFAULT_FROM, DEFAULT_UNTIL = dt.time(9, 0), dt.time(18, 0)
EVERY = ("round", "day")
Every = Literal["round", "day"]
#: the ids a person is addressed by, one for each kind of personal channel (the kind's class names its own)
ID_FIELDS = ("wecom_userid", "dingtalk_userid", "feishu_open_id")


@dataclass(frozen=True, slots=True)
class Window:
    """When a person may be reached: from ``start`` (inclusive) to ``end`` (exclusive), local time; on working
    days only unless ``working_days`` is False. ``start`` after ``end`` spans midnight (22:00–06:00)."""
    start: dt.time = DEFAULT_FROM
    end: dt.time = DEFAULT_UNTIL
    working_days: bool = True

    def open_at(self, local: dt.datetime, is_workday: Callable[[dt.date], bool]) -> bool:
        """Whether ``local`` (a time in the configured zone) is inside the window."""
        if self.working_days and not is_workday(local.date()):
            return False
        now = local.time().replace(tzinfo=None)
        if self.start == self.end:
            return True
        if self.start < self.end:
            return self.start <= now < self.end
        return now >= self.start or now < self.end

    @property
    def text(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def parse_window(text: str) -> tuple[dt.time, dt.time]:
    """``"09:00-18:00"`` as two times; ValueError otherwise."""
    start, dash, end = text.strip().partition("-")
    if not dash:
        raise ValueError(text)
    return dt.time.fromisoformat(start.strip()), dt.time.fromisoformat(end.strip())


@dataclass(frozen=True, slots=True)
class Person:
    """An account as personal channels see it: its access, the ids it is addressed by (``ID_FIELDS``, blank:
    none), the channels it turned off, its window and how often it is written to."""
    account: Account
    ids: Mapping[str, str] = field(default_factory=dict)
    muted: frozenset[str] = frozenset()
    window: Window = Window()
    every: Every = "round"

    @property
    def name(self) -> str:
        return self.account.name

    def sees(self, cluster: Cluster) -> bool:
        return self.account.sees(cluster.region)


class PersonalChannel(NamedTuple):
    """A configured personal channel: its name, the id field its kind addresses people by, and its route."""
    name: str
    id_field: str
    roles: tuple[str, ...]
    regions: tuple[str, ...]
    regimes: tuple[str, ...]

    def carries(self, cluster: Cluster, roles: Sequence[str]) -> bool:
        """As a group channel: a role it names is notified (``administrator``: every reminder), in its regions
        and regimes."""
        return (("administrator" in self.roles or bool(set(self.roles) & set(roles)))
                and (not self.regions or cluster.region in self.regions)
                and (not self.regimes or cluster.regime in self.regimes))

    def reaches(self, person: Person) -> bool:
        """The person has this channel's id and has not turned the channel off."""
        return bool(person.ids.get(self.id_field, "").strip()) and self.name not in person.muted


def personal_recipients(cluster: Cluster, roles: Sequence[str], channels: Sequence[PersonalChannel],
                        people: Sequence[Person]) -> list[str]:
    """The people (as ``channel:NAME:ACCOUNT`` recipients) a reminder notifying ``roles`` about ``cluster``
    reaches on personal channels: each channel carrying it, each person it reaches who sees the cluster."""
    return [person_recipient(channel.name, person.name) for channel in channels if channel.carries(cluster, roles)
            for person in people if channel.reaches(person) and person.sees(cluster)]


def reach(person: Person, channels: Sequence[PersonalChannel]) -> list[str]:
    """Every personal channel that reaches ``person``, as recipients: what a caller that wants to reach one
    person about something (an escalation step) adds a delivery for, on each."""
    return [person_recipient(channel.name, person.name) for channel in channels if channel.reaches(person)]


def step_people(to: str, account: str | None, cluster: Cluster, channels: Sequence[PersonalChannel],
                people: Sequence[Person]) -> list[str]:
    """Whom an escalation step (monitor/rules/escalation.py: ``bureau``, ``administrators`` or ``account:NAME``)
    reaches on personal channels about ``cluster``: the bureau accounts, the admin accounts or the account named,
    among those who see the cluster, on every personal channel that reaches them and carries the cluster's region
    and regime (a channel's ``roles`` choose digests, not steps)."""
    role = {"bureau": "bureau", "administrators": "admin"}.get(to)
    chosen = [p for p in people if p.sees(cluster)
              and (p.account.role == role if account is None else p.name == account)]
    return [person_recipient(channel.name, person.name) for channel in channels
            if (not channel.regions or cluster.region in channel.regions)
            and (not channel.regimes or cluster.regime in channel.regimes)
            for person in chosen if channel.reaches(person)]


def due(person: Person, now: dt.datetime, is_workday: Callable[[dt.date], bool], at_round: bool,
        last_slot: dt.datetime | None, last_message: dt.datetime | None) -> bool:
    """Whether a round (``at_round``) or a tick of the daemon at ``now`` (local) writes to ``person`` on a channel
    whose last message to them was made at ``last_message`` (local; None: never). ``last_slot``: the newest digest
    time at or before ``now`` (local). Outside the window: never. ``every = "day"``: if nothing was written to
    them on this channel today. ``"round"``: at a round; at a tick, only when the last round found them outside
    their window and nothing was written since (what it held goes out once, at the start of the window)."""
    if not person.window.open_at(now, is_workday):
        return False
    if person.every == "day":
        return last_message is None or last_message.date() < now.date()
    if at_round:
        return True
    if last_slot is None or person.window.open_at(last_slot, is_workday):
        return False
    return last_message is None or last_message < last_slot
