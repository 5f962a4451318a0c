"""What an overview shows of a verdict, and in which order clusters come: applied once, in the pipeline.

RULES.md: status lists every open obligation and every one done or late whose due day lies within the
365 days up to as_of (or ahead: early filings show). Warnings come most severe first. Clusters come most
urgent first: live before revoked, then by their most severe warning, the number of overdue obligations,
and the nearest due day; the id breaks ties.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import NamedTuple

from monitor.rules.facts import Facts
from monitor.rules.states import ClusterState, ObligationState
from monitor.rules.verdict import Obligation, Verdict

#: done and late obligations stay listed while their due day (or their filing) lies within this many days
HISTORY_DAYS = 365

Urgency = tuple[bool, int, int, int, str]


class Evaluated(NamedTuple):
    """One cluster's facts and its verdict as an overview shows it (listed obligations, sorted warnings)."""
    facts: Facts
    verdict: Verdict


def listed(obligation: Obligation, as_of: dt.date) -> bool:
    """Every open obligation, and every one done or late whose due day lies within the last 365 days (or ahead)."""
    if obligation.is_open:
        return True
    day = obligation.due or obligation.done_on
    return day is not None and (as_of - day).days <= HISTORY_DAYS


def shown(facts: Facts, verdict: Verdict, as_of: dt.date) -> Evaluated:
    """The verdict with only its listed obligations, and its warnings most severe first."""
    return Evaluated(facts, dataclasses.replace(
        verdict, obligations=tuple(o for o in verdict.obligations if listed(o, as_of)),
        warnings=tuple(sorted(verdict.warnings, key=lambda w: -w.severity.rank))))


def urgency(item: Evaluated) -> Urgency:
    """Sort key, most urgent first: live before revoked, then severity, overdue count, nearest due day, id."""
    facts, verdict = item
    open_due = [o.days_left for o in verdict.obligations if o.is_open and o.days_left is not None]
    overdue = sum(1 for o in verdict.obligations if o.state is ObligationState.OVERDUE)
    return (verdict.state is ClusterState.REVOKED, -verdict.top_severity, -overdue, min(open_due, default=1 << 30),
            facts.cluster.id)
