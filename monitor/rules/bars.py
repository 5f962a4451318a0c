"""The bar after a revocation, "撤销认定的，N年内不得再次申报" (a pack's ``[revocation]``; docs/rules.md,
"Revocation and the cluster's state"). Pure: the pack, the cluster's facts and a date are all it needs.

The bar is a Civil Code period of N years from the revocation (民法典 第二百零一条、第二百零二条): counted from the
next day, it ends on the corresponding day N years later, or on the last day of that month where there is none.
Revoked 2025-01-05 for 3 years: barred through 2028-01-05; revoked 2024-02-29: through 2027-02-28.
"""

from __future__ import annotations

import datetime as dt

from monitor.rules.dates import add_months
from monitor.rules.facts import Facts
from monitor.rules.packs import Pack


def reapply_barred_until(pack: Pack, facts: Facts) -> dt.date | None:
    """The last day the revoked cluster may not apply again, or None: not revoked, or its revocation (on its ground,
    else on the pack's default) bars nothing under this pack."""
    rule, revoked_on = pack.revocation, facts.revoked_on
    if rule is None or revoked_on is None:
        return None
    years = rule.years(facts.revocation_ground)
    return add_months(revoked_on, 12 * years) if years else None


def barred_as_of(pack: Pack, facts: Facts, as_of: dt.date) -> dt.date | None:
    """The bar's last day while it stands on ``as_of`` (revoked by then, the bar not over), else None."""
    if facts.revoked_on is None or facts.revoked_on > as_of:
        return None
    until = reapply_barred_until(pack, facts)
    return until if until is not None and as_of <= until else None
