"""The baseline (监测起始日, docs/rules.md, "Baseline"): an obligation due before it that no fact settles is
``unrecorded``, raises no warning and owes no reminder; one due on or after it is evaluated as without one."""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import replace
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.rules.engine import evaluate
from monitor.rules.facts import Change, Cluster, EvaluationResult, Facts, Report, Review
from monitor.rules.packs import Pack, load_packs, parse_pack
from monitor.rules.stages import candidates, next_change
from monitor.rules.verdict import Obligation, Verdict
from monitor.rules.workdays import WorkCalendar
from monitor.views.packref import WORKED
from tests.conftest import d
from tests.test_revocation_properties import _facts

PACKS = {**load_packs(), "prov-rect": parse_pack(tomllib.loads(WORKED), "docs/packs.md", "prov-rect")}
CALENDAR = WorkCalendar.load()
LEAD: dict[str, tuple[int, ...]] = dict.fromkeys(("renewal_review", "annual_report", "change_filing", "evaluation", "rectification"), (60, 30, 7, 0))


def run(f: Facts, as_of: str, baseline: str | None, pack: Pack | None = None) -> Verdict:
    return evaluate(pack or PACKS[f.cluster.regime], f, d(as_of), CALENDAR, d(baseline) if baseline else None)


def cluster(regime: str, certified: str, **kw: Any) -> Facts:
    revoked = kw.pop("revoked_on", None)
    return Facts(Cluster("C-1", "测试集群", regime, d(certified)), revoked_on=d(revoked) if revoked else None, **kw)


def one(verdict: Verdict, key: str) -> Obligation:
    [match] = [o for o in verdict.obligations if o.key == key]
    return match


# nmg-sme-draft: the report on 2024 is due 2025-03-10 (a revocation ground when overdue)
@pytest.mark.parametrize(("baseline", "state", "warned"), [
    ("2025-03-11", "unrecorded", False),    # due the day before the baseline
    ("2025-03-10", "overdue", True),        # due on the baseline: evaluated as without one
    ("2025-03-09", "overdue", True),        # due after it
    (None, "overdue", True),
])
def test_a_report_due_before_the_baseline_is_unrecorded_and_warns_nothing(baseline: str | None, state: str,
                                                                         warned: bool) -> None:
    verdict = run(cluster("nmg-sme-draft", "2023-11-20"), "2025-06-01", baseline)
    assert one(verdict, "annual_report:2024").state == state
    assert any(w.obligation == "annual_report:2024" for w in verdict.warnings) is warned
    assert not one(verdict, "annual_report:2024").is_open or state == "overdue"


def test_a_back_filled_late_report_is_still_late_and_its_warning_stands() -> None:
    late = cluster("nmg-sme-draft", "2022-11-20", reports=(Report(2023, d("2024-03-20")),))
    verdict = run(late, "2024-12-07", "2024-12-01")
    assert one(verdict, "annual_report:2023").state == "late"
    assert {w.key for w in verdict.warnings} == {"annual_report_late:2023"}
    on_time = cluster("nmg-sme-draft", "2022-11-20", reports=(Report(2023, d("2024-03-01")),))
    assert one(run(on_time, "2024-12-07", "2024-12-01"), "annual_report:2023").state == "done"


def _three_in_a_row(pack: Pack) -> Pack:
    assert pack.annual_report is not None
    return msgspec.structs.replace(pack, annual_report=msgspec.structs.replace(pack.annual_report,
                                                                               consecutive_failures=2))


def test_an_unrecorded_year_neither_fails_nor_breaks_a_consecutive_run() -> None:
    pack = _three_in_a_row(PACKS["nmg-sme-draft"])
    # 2022 filed late, 2023 nothing (due 2024-03-10, before the baseline), 2024 nothing (due 2025-03-10, after)
    f = cluster("nmg-sme-draft", "2021-11-20", reviews=(Review("pass", d("2024-10-01")),),
                reports=(Report(2021, d("2022-03-01")), Report(2022, d("2023-04-01"))))
    verdict = run(f, "2025-06-01", "2024-06-01", pack)
    assert one(verdict, "annual_report:2023").state == "unrecorded"
    assert one(verdict, "annual_report:2024").state == "overdue"
    failed = [w for w in verdict.warnings if w.code == "annual_report_failed_consecutive"]
    assert [dict(w.params)["years"] for w in failed] == ["2022、2024"]     # the unknown year did not break it
    # nor does it fail: 2022 late and 2023 unrecorded alone are no run
    assert not [w for w in run(f, "2024-12-01", "2024-06-01", pack).warnings
                if w.code == "annual_report_failed_consecutive"]
    # back-filled on time, it breaks the run; back-filled late, it is part of it
    on_time = replace(f, reports=(*f.reports, Report(2023, d("2024-03-01"))))
    assert not [w for w in run(on_time, "2025-06-01", "2024-06-01", pack).warnings
                if w.code == "annual_report_failed_consecutive"]
    late = replace(f, reports=(*f.reports, Report(2023, d("2024-05-01"))))
    [w] = [w for w in run(late, "2025-06-01", "2024-06-01", pack).warnings
           if w.code == "annual_report_failed_consecutive"]
    assert dict(w.params)["years"] == "2022、2023、2024"


def test_an_unrecorded_renewal_raises_no_validity_expired() -> None:
    f = cluster("nmg-sme-draft", "2021-07-10")          # valid until 2024-07-09, no review recorded
    without = run(f, "2025-06-01", None)
    assert "validity_expired" in {w.code for w in without.warnings}
    verdict = run(f, "2025-06-01", "2024-12-01")
    assert one(verdict, "renewal_review:2024-07-09").state == "unrecorded"
    assert "validity_expired" not in {w.code for w in verdict.warnings}
    passed = replace(f, reviews=(Review("pass", d("2024-06-01")),))
    renewed = run(passed, "2025-06-01", "2024-12-01")
    assert one(renewed, "renewal_review:2024-07-09").state == "done"
    assert renewed.valid_until == d("2027-07-09")


def test_change_evaluation_and_rectification_before_the_baseline_are_unrecorded() -> None:
    change = cluster("nmg-sme-draft", "2023-06-01", changes=(Change("operator", d("2024-05-06")),))
    assert one(run(change, "2025-01-01", None), "change_filing:operator:2024-05-06").state == "overdue"
    verdict = run(change, "2025-01-01", "2024-12-01")
    assert one(verdict, "change_filing:operator:2024-05-06").state == "unrecorded"
    assert not [w for w in verdict.warnings if w.code.startswith("change_filing")]
    # docs/packs.md's worked pack: evaluations every N years, and rectification after a failed one
    worked = PACKS["prov-rect"]
    failed = cluster("prov-rect", "2019-01-10", evaluations=(EvaluationResult("fail", d("2022-02-01")),))
    plain = run(failed, "2026-12-07", None)
    kinds = {o.kind for o in plain.obligations if o.state == "overdue"}
    assert {"rectification"} <= kinds
    based = run(failed, "2026-12-07", "2026-12-01", worked)
    for o in based.obligations:
        if o.kind in ("evaluation", "rectification") and o.due is not None and o.due < d("2026-12-01"):
            assert o.state in ("unrecorded", "done", "late"), o
    assert not {w.code for w in based.warnings} & {"rectification_overdue", "evaluation_overdue"}
    assert "evaluation_not_passed" in {w.code for w in based.warnings}     # a recorded fail is a fact


def test_a_revoked_cluster_with_a_baseline() -> None:
    f = cluster("nmg-sme-draft", "2022-05-01", revoked_on="2025-05-01")
    verdict = run(f, "2026-12-07", "2025-04-01")
    assert verdict.state == "revoked"
    assert [o.state for o in verdict.obligations if o.kind == "annual_report"] == ["unrecorded"] * 3   # 2022-2024
    assert not [w for w in verdict.warnings if w.code.startswith("annual_report")]
    assert not list(candidates(PACKS["nmg-sme-draft"], verdict, d("2026-12-07"), LEAD, 7))


def test_no_reminder_stage_for_an_unrecorded_obligation() -> None:
    f = cluster("nmg-sme-draft", "2021-07-10", changes=(Change("operator", d("2024-05-06")),))
    pack = PACKS["nmg-sme-draft"]
    without = run(f, "2026-12-07", None)
    assert any(c.subject.startswith("annual_report") for c in candidates(pack, without, d("2026-12-07"), LEAD, 7))
    verdict = run(f, "2026-12-07", "2026-12-01")
    assert not list(candidates(pack, verdict, d("2026-12-07"), LEAD, 7))
    assert next_change(verdict, d("2026-12-07"), LEAD, 7, {}) == d("2027-01-01")


@st.composite
def cases(draw: st.DrawFn) -> tuple[Pack, Facts, dt.date, dt.date]:
    pack = PACKS[draw(st.sampled_from(sorted(PACKS)))]
    certified_on = draw(st.dates(min_value=dt.date(2019, 1, 1), max_value=dt.date(2025, 12, 31)))
    as_of = certified_on + dt.timedelta(days=draw(st.integers(0, 6 * 365)))
    facts = _facts(draw, Cluster("C-1", "集群", pack.id, certified_on), certified_on, as_of)
    if draw(st.booleans()):
        facts = replace(facts, revoked_on=draw(st.dates(min_value=certified_on, max_value=as_of)))
    return pack, facts, as_of, certified_on


@settings(max_examples=300, deadline=None)
@given(cases(), st.integers(0, 400))
def test_with_no_baseline_or_one_before_every_due_day_the_verdict_is_unchanged(
        case: tuple[Pack, Facts, dt.date, dt.date], before: int) -> None:
    pack, facts, as_of, certified_on = case
    today = evaluate(pack, facts, as_of, CALENDAR)
    assert evaluate(pack, facts, as_of, CALENDAR, None) == today
    earliest = min((o.due for o in today.obligations if o.due is not None), default=certified_on)
    baseline = min(earliest, certified_on) - dt.timedelta(days=before)
    assert evaluate(pack, facts, as_of, CALENDAR, baseline) == today
    # and any baseline: only obligations due before it change, and only to unrecorded
    later = evaluate(pack, facts, as_of, CALENDAR, as_of)
    for old, new in zip(today.obligations, later.obligations, strict=False):
        assert new.state == old.state or (new.state == "unrecorded" and old.state in ("overdue", "pending")
                                          and old.due is not None and old.due < as_of)
    runs = "annual_report_failed_consecutive"     # an unknown year may shorten a run, and so move its first year
    assert {w.key for w in later.warnings if w.code != runs} <= {w.key for w in today.warnings}


def test_the_reports_chart_counts_nothing_unrecorded() -> None:
    from monitor.rules.listing import shown
    from monitor.views.report import tally

    f = cluster("nmg-sme-draft", "2024-06-01", changes=(Change("operator", d("2026-10-20")),))
    as_of = d("2026-11-15")

    def charted(baseline: str | None) -> int:
        item = shown(f, run(f, "2026-11-15", baseline), as_of)
        return sum(tally([item], as_of, "en", PACKS, CALENDAR, d(baseline) if baseline else None)
                   .timeline.get("nmg-sme-draft", [0]))

    assert charted(None) - charted("2026-12-01") == 1      # the filing due 2026-11-20, unrecorded before the baseline


def test_facts_and_backfill_are_one_or_the_other(tmp_path: Any) -> None:
    from tests.helpers import monitor

    result = monitor("template", "--facts", "--backfill", str(tmp_path / "x.xlsx"))
    assert result.exit_code == 2 and "--facts、--backfill、--indicators 与 --targets：只能给出其中一个" in result.stderr   # no config: Chinese
