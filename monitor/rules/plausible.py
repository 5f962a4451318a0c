"""Whether a renewal review's result is dated where one can be (first-week issue, item 5). Pure.

A result (pass or fail) belongs to the validity period in force the day before it: the chain of periods the
cluster's earlier reviews make (engine._renewal). It is implausible before that period's application window
opens (the pack's ``application_window_months`` before the last day + 1) or, for a pack without a window,
before ``EARLY_RESULT_MONTHS`` months before it: a pass a year before the end would otherwise move the last day
on by a whole extension. Such a result is refused unless a reason explains it (the reason is stored with the
fact and history shows it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from monitor.errors import Said
from monitor.rules.dates import add_months
from monitor.rules.engine import _renewal
from monitor.rules.facts import Cluster, Facts, Recorded, Review
from monitor.rules.packs import Pack

#: how many months before the last day + 1 a result may be dated in a pack without an application window
EARLY_RESULT_MONTHS = 12


def earliest_result(pack: Pack, cluster: Cluster, reviews: Sequence[Review], on: dt.date) -> tuple[dt.date, dt.date] | None:
    """The first day a review result dated ``on`` can plausibly be, and the last day in force it would renew; None
    without a validity."""
    validity = pack.validity
    if validity is None:
        return None
    earlier = tuple(r for r in reviews if r.on < on)
    periods = _renewal(pack, Facts(cluster, reviews=earlier), on - dt.timedelta(days=1), [], [])
    if not periods:
        return None
    valid_until = periods[-1].valid_until
    months = validity.application_window_months or EARLY_RESULT_MONTHS
    return add_months(valid_until + dt.timedelta(days=1), -months), valid_until


def early_review(fact: Recorded, cluster: Cluster, reviews: Sequence[Review], pack: Pack, label: str,
                 reason: str | None) -> Said | None:
    """Why ``fact`` (a review's result dated too early) cannot be recorded without a reason; None when it can."""
    if fact.kind != "review" or fact.detail not in ("pass", "fail") or fact.on is None or reason:
        return None
    found = earliest_result(pack, cluster, reviews, fact.on)
    if found is None or fact.on >= found[0]:
        return None
    opens, valid_until = found
    return Said("{field} {on}: a review result before {opens} is implausible for the validity ending {valid_until} "
                "(a reason that explains it records it anyway)", field=label, on=fact.on, opens=opens, valid_until=valid_until)
