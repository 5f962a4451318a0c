"""docs/rules.md section 10: nothing dated after a revocation gives a revoked cluster an obligation or a warning.

The property: for any cluster of any bundled regime, any facts dated on or before its revocation, and any facts dated
after it, the verdict on any later day has no obligation and no warning that the verdict on the revocation day,
made from the earlier facts alone, does not have. Obligations due after the revocation never appear at all.
"""

from __future__ import annotations

import datetime as dt
import functools
import tomllib

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.rules.engine import evaluate
from monitor.rules.facts import (
    AssessmentResult,
    Change,
    Cluster,
    EvaluationResult,
    Facts,
    Incident,
    Report,
    Review,
)
from monitor.rules.packs import CHANGE_KINDS, INCIDENT_GROUNDS, Pack, load_packs, parse_pack
from monitor.rules.workdays import WorkCalendar
from monitor.views.packref import WORKED

#: the bundled packs and docs/packs.md's worked pack, which adopts evaluation cycles, rectification and a bar
PACKS = {**load_packs(), "prov-rect": parse_pack(tomllib.loads(WORKED), "docs/packs.md", "prov-rect")}
CALENDAR = WorkCalendar.load()


def _day(draw: st.DrawFn, first: dt.date, last: dt.date) -> dt.date:
    return draw(st.dates(min_value=first, max_value=max(first, last)))


def _facts(draw: st.DrawFn, cluster: Cluster, first: dt.date, last: dt.date) -> Facts:
    """Facts of every kind dated between ``first`` and ``last``."""
    day = functools.partial(_day, draw, first, last)
    reports = tuple(Report(year, filed) for year in draw(st.sets(st.integers(first.year - 1, last.year), max_size=3))
                    if (filed := day()).year > year)
    changes = tuple(Change(draw(st.sampled_from(CHANGE_KINDS)), on, draw(st.none() | st.just(on + dt.timedelta(40))))
                    for on in draw(st.lists(st.builds(day), max_size=2)))
    reviews = tuple(Review(draw(st.sampled_from(("applied", "pass", "fail"))), day())
                    for _ in range(draw(st.integers(0, 3))))
    assessments = tuple(AssessmentResult(year, draw(st.sampled_from(("pass", "fail"))), dt.date(year + 1, 1, 1))
                        for year in draw(st.sets(st.integers(first.year - 1, last.year), max_size=3))
                        if first <= dt.date(year + 1, 1, 1) <= last)
    incidents = tuple(Incident(draw(st.sampled_from(INCIDENT_GROUNDS)), day()) for _ in range(draw(st.integers(0, 2))))
    evaluations = tuple(EvaluationResult(draw(st.sampled_from(("pass", "fail"))), day())
                        for _ in range(draw(st.integers(0, 2))))
    rectifications = tuple(day() for _ in range(draw(st.integers(0, 2))))
    return Facts(cluster, reports, changes, reviews, assessments, incidents, evaluations=evaluations,
                 rectifications=rectifications)


@st.composite
def revoked_clusters(draw: st.DrawFn) -> tuple[Pack, Facts, Facts, dt.date, dt.date]:
    pack = PACKS[draw(st.sampled_from(sorted(PACKS)))]
    certified_on = draw(st.dates(min_value=dt.date(2022, 1, 1), max_value=dt.date(2025, 12, 31)))
    revoked_on = _day(draw, certified_on, certified_on + dt.timedelta(days=4 * 365))
    later = revoked_on + dt.timedelta(days=draw(st.integers(0, 3 * 365)))
    cluster = Cluster("C-1", "集群", pack.id, certified_on)
    before = _facts(draw, cluster, certified_on, revoked_on)
    after = _facts(draw, cluster, revoked_on + dt.timedelta(days=1), later)
    kinds = ("reports", "changes", "reviews", "assessments", "incidents", "evaluations", "rectifications")
    only_before = Facts(cluster, revoked_on=revoked_on, **{kind: getattr(before, kind) for kind in kinds})
    merged = Facts(cluster, revoked_on=revoked_on, **{kind: getattr(before, kind) + getattr(after, kind) for kind in kinds})
    return pack, only_before, merged, revoked_on, later

@settings(max_examples=300, deadline=None)
@given(revoked_clusters())
def test_a_revoked_cluster_never_gains_an_obligation_or_a_warning_after_its_revocation(
        case: tuple[Pack, Facts, Facts, dt.date, dt.date]) -> None:
    pack, before, merged, revoked_on, later = case
    then = evaluate(pack, before, revoked_on, CALENDAR)
    now = evaluate(pack, merged, later, CALENDAR)
    assert now.state.value == "revoked"
    assert {o.key for o in now.obligations} <= {o.key for o in then.obligations}
    assert all(o.due is not None and o.due <= revoked_on for o in now.obligations if o.is_open)
    assert {w.key for w in now.warnings} <= {w.key for w in then.warnings}
    assert now.valid_until == then.valid_until
    assert now.reapply_barred_until in (None, then.reapply_barred_until)
