"""Clusters with indicator values and standard verdicts built in the test (no database): the assessment report's
unit-level input, and an independent recomputation of every figure it prints."""

from __future__ import annotations

import datetime as dt

from monitor.rules.facts import Cluster, Facts, IndicatorValue
from monitor.rules.listing import Evaluated
from monitor.rules.states import ClusterState, ObligationState, StandardState
from monitor.rules.verdict import Measured, Obligation, StandardVerdict, Verdict

YEAR = 2025
AS_OF = dt.date(2026, 5, 10)
REGIMES = ("miit-sme-2022", "nmg-sme-draft")
REGIONS = ("赤峰市", "包头市", "")


def _output(n: int, year: int) -> float | None:
    """A made-up but varied series: some clusters miss a year, some fall below 40."""
    if (n + year) % 7 == 0:
        return None
    return round(20.0 + (n * 13 % 50) + (year - 2021) * (n % 5) * 1.5, 2)


def evaluated_clusters(count: int = 12) -> list[Evaluated]:
    items = []
    for n in range(count):
        cluster = Cluster(id=f"NMG-{n:03d}", name=f"赤峰市第{n}产业集群" if n % 3 == 0 else f"包头市第{n}集群",
                          regime=REGIMES[n % 2], certified_on=dt.date(2022, 3, 1), region=REGIONS[n % 3] or None)
        values = []
        for year in range(2021, YEAR + 1):
            output = _output(n, year)
            if output is not None:
                values.append(IndicatorValue(year, "output", output))
                values.append(IndicatorValue(year, "sme_output_share", float(60 + n % 20)))
        if n % 4 == 0:
            values.append(IndicatorValue(YEAR, "patents", float(n * 3)))
        years = {v.year: v.value for v in values if v.code == "output"}
        window = [YEAR - 2, YEAR - 1, YEAR]
        missing = tuple(y for y in window if y not in years)
        state = (StandardState.NO_DATA if missing else
                 StandardState.MET if all(years[y] >= 40 for y in window) else StandardState.UNMET)
        measured = Measured("output", ">=", 40.0, "each_year", state,
                            tuple((str(y), years[y]) for y in window if y in years), missing)
        standards = (StandardVerdict("output_3y", "近三年产值均在40亿元以上", "附件 一", state, (measured,)),)
        review = Obligation("renewal_review", "renewal_review:2027-03-01", dt.date(2027, 3, 1) + dt.timedelta(days=n),
                            ObligationState.PENDING, "第十五条")
        verdict = Verdict(cluster.id, ClusterState.IN_FORCE, dt.date(2027, 3, 1), (review,), (), standards=standards)
        items.append(Evaluated(Facts(cluster=cluster, indicators=tuple(values)), verdict))
    return items
