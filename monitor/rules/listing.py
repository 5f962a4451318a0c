"""What an overview shows of a verdict, and in which order clusters come: applied once, in the pipeline.

docs/rules.md: status lists every open obligation, every unrecorded one (due before the baseline, no fact
recorded) and every one done or late whose due day lies within the 365 days up to as_of (or ahead: early filings
show). Warnings come most severe first. Clusters come most
urgent first: live before revoked, then by their most severe warning, the number of overdue obligations,
and the nearest due day; the id breaks ties.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from monitor.rules.facts import Facts
from monitor.rules.states import OPEN, ClusterState, ObligationState
from monitor.rules.verdict import Alert, Verdict

#: done and late obligations stay listed while their due day (or their filing) lies within this many days
HISTORY_DAYS = 365
#: listed whatever their due day: the open ones, and the unrecorded ones (the checklist of what to back-fill)
LISTED = OPEN | {ObligationState.UNRECORDED}

Urgency = tuple[bool, int, int, int, str]


class Evaluated(NamedTuple):
    """One cluster's facts and its verdict as an overview shows it (listed obligations, sorted warnings)."""
    facts: Facts
    verdict: Verdict


def shown(facts: Facts, verdict: Verdict, as_of: dt.date) -> Evaluated:
    """The verdict as an overview shows it: every open obligation, and every one done or late whose due day (or,
    with none, its done day) lies within the last HISTORY_DAYS or ahead; its warnings most severe first."""
    oldest = as_of - dt.timedelta(days=HISTORY_DAYS)
    obligations = tuple(o for o in verdict.obligations if o.state in LISTED or (
        (day := o.due or o.done_on) is not None and day >= oldest))
    warnings = verdict.warnings
    if len(warnings) > 1:
        warnings = tuple(sorted(warnings, key=_severity_first))
    return Evaluated(facts, Verdict(verdict.cluster_id, verdict.state, verdict.valid_until, obligations, warnings,
                                    verdict.publicity, verdict.reapply_barred_until, verdict.standards))


def unrecorded(verdict: Verdict) -> int:
    """How many of its obligations are unrecorded (历史事项未登记): due before the baseline, no fact recorded."""
    return sum(1 for o in verdict.obligations if o.state is ObligationState.UNRECORDED)


def _severity_first(warning: Alert) -> int:
    return -warning.severity.rank


def urgency(item: Evaluated) -> Urgency:
    """Sort key, most urgent first: live before revoked, then severity, overdue count, nearest due day, id."""
    facts, verdict = item
    open_due = [o.days_left for o in verdict.obligations if o.is_open and o.days_left is not None]
    overdue = sum(1 for o in verdict.obligations if o.state is ObligationState.OVERDUE)
    return (verdict.state is ClusterState.REVOKED, -verdict.top_severity, -overdue, min(open_due, default=1 << 30),
            facts.cluster.id)
