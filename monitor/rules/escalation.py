"""Escalation (docs/rules.md, "Escalation"): which step of a chain a warning nobody acknowledged owes, as a pure
function of the warning's first day, the ack and snooze facts, the chain and the date; and who a step reaches.

A chain (config.toml ``[[escalation]]``) names regimes and severities and its steps, each ``after_days`` after
the warning's first day (the day monitor first reminded it) and ``to`` whom: ``bureau``, ``administrators`` or
``account:NAME``. Step N (1-based) is a reminder stage of its own, ``escalate:N:DAYS:TO`` (TO without the name:
the addresses are the deliveries'), recorded once. An ack stops the chain for good: a step whose day is on or
after the day the warning was first acknowledged is never owed, even once the ack has lapsed (its ordinary
reminders come back then, as they always did). A snooze of the obligation the warning is about pauses it: no
step is owed while the snooze is in force, and the steps whose day came meanwhile are owed the day after it ends.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from monitor.rules.access import sees
from monitor.rules.facts import Cluster

#: who a step may be addressed to: a word, or ``account:NAME``
TARGETS = ("bureau", "administrators")
ACCOUNT = "account:"
#: the prefix of an escalation step's stage in the reminder ledger
STAGE = "escalate:"
#: warnings never escalated: evaluation_failed is a fault of monitor's (reminded to the administrators), not the
#: cluster's
NOT_ESCALATED = frozenset({"evaluation_failed"})


class Step(NamedTuple):
    after_days: int         # days after the warning's first day
    to: str                 # bureau | administrators | account:NAME

    @property
    def kind(self) -> str:
        """``bureau``, ``administrators`` or ``account``."""
        return "account" if self.to.startswith(ACCOUNT) else self.to

    @property
    def account(self) -> str | None:
        """The account's name of an ``account:NAME`` step."""
        return self.to[len(ACCOUNT):] if self.to.startswith(ACCOUNT) else None


class Chain(NamedTuple):
    regimes: tuple[str, ...]        # empty: every regime
    severities: tuple[str, ...]
    steps: tuple[Step, ...]         # by after_days, ascending


def chain_for(chains: Iterable[Chain], regime: str, severity: str, code: str = "") -> Chain | None:
    """The first chain that takes a warning of this regime, severity (and code); None: it is not escalated."""
    if code in NOT_ESCALATED:
        return None
    return next((c for c in chains if (not c.regimes or regime in c.regimes) and severity in c.severities), None)


def step_day(first_day: dt.date, step: Step) -> dt.date:
    return first_day + dt.timedelta(days=step.after_days)


def steps_due(chain: Chain, first_day: dt.date, as_of: dt.date, acked_on: dt.date | None = None,
              snoozed_until: dt.date | None = None) -> list[int]:
    """The numbers (1-based) of the steps whose day has come by ``as_of``: none whose day is on or after
    ``acked_on`` (the first day the warning was acknowledged), and none while a snooze is in force (through
    ``snoozed_until``). The caller records those not recorded yet, each once."""
    if snoozed_until is not None and snoozed_until >= as_of:
        return []
    return [n for n, step in enumerate(chain.steps, 1)
            if step_day(first_day, step) <= as_of and (acked_on is None or step_day(first_day, step) < acked_on)]


def next_step_day(chain: Chain, first_day: dt.date, as_of: dt.date, acked_on: dt.date | None = None,
                  snoozed_until: dt.date | None = None) -> dt.date | None:
    """The first day after ``as_of`` on which ``steps_due`` owes a step it does not owe on ``as_of`` (the scan
    comes back to the cluster then); None: never again, the facts staying as they are."""
    days = [step_day(first_day, s) for s in chain.steps
            if step_day(first_day, s) > as_of and (acked_on is None or step_day(first_day, s) < acked_on)]
    if snoozed_until is not None and snoozed_until >= as_of:
        after = snoozed_until + dt.timedelta(days=1)
        crossed = any(step_day(first_day, s) <= snoozed_until and (acked_on is None or step_day(first_day, s) <
                                                                   acked_on) for s in chain.steps)
        days = [max(day, after) for day in days] + ([after] if crossed else [])
    return min(days, default=None)


def stage_name(number: int, step: Step) -> str:
    """The reminder stage of step ``number``: ``escalate:2:7:administrators`` (at most 32 characters)."""
    return f"{STAGE}{number}:{step.after_days}:{step.kind}"


class StageOf(NamedTuple):
    number: int
    after_days: int
    kind: str               # bureau | administrators | account


def parse_stage(stage: str) -> StageOf | None:
    """What an escalation stage says; None for any other stage."""
    if not stage.startswith(STAGE):
        return None
    number, _, rest = stage[len(STAGE):].partition(":")
    days, _, kind = rest.partition(":")
    if not (number.isdigit() and days.isdigit() and kind):
        return None
    return StageOf(int(number), int(days), kind)


def is_escalation(stage: str) -> bool:
    return stage.startswith(STAGE)


class Person(NamedTuple):
    """An account a step may reach: its role (admin, bureau, viewer), the regions a bureau account covers, its
    e-mail (from its profile; empty: it cannot be mailed)."""
    name: str
    role: str
    covers: tuple[str, ...]
    email: str
    disabled: bool = False

    def sees(self, region: str | None) -> bool:
        """A bureau account sees its own regions' clusters only; admins and viewers see every region."""
        return sees(self.role, self.covers, region)


def step_recipients(step: Step, cluster: Cluster, administrators: Sequence[str],
                    people: Sequence[Person]) -> list[str]:
    """The addresses of this step's recipients, lower-cased, each once: ``bureau``, the cluster's bureau
    addresses (the roster's) and the bureau accounts of its region; ``administrators``, general.administrators
    and the admin accounts; ``account:NAME``, that account. Only accounts enabled, with an e-mail, that see the
    cluster's region: nobody outside it is reached (a bureau account of another region gets nothing).

    The same accounts on their personal channels (a chat app's user id) are monitor.rules.personal.step_people's."""
    reachable = [p for p in people if not p.disabled and p.email.strip() and p.sees(cluster.region)]
    addresses: list[str] = []
    if step.to == "bureau":
        addresses.extend(cluster.bureau_email)
        addresses.extend(p.email for p in reachable if p.role == "bureau")
    elif step.to == "administrators":
        addresses.extend(administrators)
        addresses.extend(p.email for p in reachable if p.role == "admin")
    else:
        addresses.extend(p.email for p in reachable if p.name == step.account)
    return list(dict.fromkeys(a.strip().lower() for a in addresses if a.strip()))
