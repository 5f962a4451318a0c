"""One principal ground, not ten (first-week issue, item 6), as Alertmanager's inhibition keeps one alert of a
group: a cluster whose validity has expired or that has a revocation ground lists that ground first, and the older
overdue items that follow from the same neglect are counted under it. Pure; docs/rules.md, "Principal ground".

- The *candidates* are the warnings of severity ``revocation`` and ``validity_expired`` (of any severity).
- A warning's *day* is the due day of the obligation it is about (``validity_expired``: the last day in force),
  else the due day it quotes; some have none (an incident, a failed assessment).
- The *principal* is the candidate most severe, then with a day before one without, then with the latest day:
  the most recent consequence of the neglect.
- An *overdue item* is a warning about an obligation that is overdue (not done, its due day passed).
- *Follows from the same neglect*: an overdue item, other than the principal, whose day is on or before the
  principal's and whose severity is no higher. A principal without a day counts nothing under it.

Everything else is listed after the principal, in the order given (most severe first). ``--format json`` keeps
every warning: this is how the table, the digest and the console show them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import NamedTuple

from monitor.rules.states import ObligationState, Severity
from monitor.rules.verdict import Alert, Obligation


class Grounds(NamedTuple):
    """A cluster's warnings as they are shown: ``listed`` (the principal first, when there is one) and those
    ``under`` the principal, counted, not listed."""
    listed: tuple[Alert, ...]
    under: tuple[Alert, ...]
    principal: Alert | None


def _day(warning: Alert, due: dict[str, dt.date | None]) -> dt.date | None:
    if warning.obligation is not None and warning.obligation in due:
        return due[warning.obligation]
    return warning.due


def grounds(warnings: Sequence[Alert], obligations: Sequence[Obligation]) -> Grounds:
    """The principal ground of ``warnings`` (ordered most severe first) and the overdue items counted under it."""
    candidates = [w for w in warnings if w.severity is Severity.REVOCATION or w.code == "validity_expired"]
    if not candidates:
        return Grounds(tuple(warnings), (), None)
    due = {o.key: o.due for o in obligations}
    overdue = {o.key for o in obligations if o.state is ObligationState.OVERDUE}

    def rank(w: Alert) -> tuple[int, bool, dt.date]:
        day = _day(w, due)
        return w.severity.rank, day is not None, day or dt.date.min

    principal = max(candidates, key=rank)
    day = _day(principal, due)
    under = tuple(w for w in warnings if w is not principal and day is not None and w.obligation in overdue
                  and (mine := _day(w, due)) is not None and mine <= day
                  and w.severity.rank <= principal.severity.rank)
    counted = {id(w) for w in under}
    listed = (principal, *(w for w in warnings if w is not principal and id(w) not in counted))
    return Grounds(listed, under, principal)
