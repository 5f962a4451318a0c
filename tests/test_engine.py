"""Every rule of docs/rules.md, on the days just before, on and after each edge."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
import pytest

from monitor.rules.engine import evaluate
from monitor.rules.facts import AssessmentResult, Change, Cluster, Facts, Incident, Report, Review
from monitor.rules.packs import Pack, parse_pack
from monitor.rules.verdict import Obligation, Verdict
from monitor.rules.workdays import WorkCalendar
from tests.conftest import d


def facts(regime: str, certified: str, **kw: Any) -> Facts:
    cluster_fields = {k: kw.pop(k) for k in ("valid_until", "batch") if k in kw}
    if "valid_until" in cluster_fields:
        cluster_fields["valid_until"] = d(cluster_fields["valid_until"])
    cluster = Cluster("C-1", "测试集群", regime, d(certified), **cluster_fields)
    if "revoked_on" in kw:
        kw["revoked_on"] = d(kw["revoked_on"])
    return Facts(cluster, **kw)


@pytest.fixture
def run(packs: dict[str, Pack], calendar: WorkCalendar) -> Any:
    def _run(f: Facts, as_of: str, pack: Pack | None = None) -> Verdict:
        return evaluate(pack or packs[f.cluster.regime], f, d(as_of), calendar)
    return _run


def one(verdict: Verdict, key: str) -> Obligation:
    [match] = [o for o in verdict.obligations if o.key == key]
    return match


def codes(verdict: Verdict, *prefixes: str) -> dict[str, str]:
    """Warnings by key, only those whose code starts with one of ``prefixes`` when given."""
    return {w.key: w.severity for w in verdict.warnings if not prefixes or w.code.startswith(prefixes)}


# -- validity and state -------------------------------------------------------------------------

@pytest.mark.parametrize(("as_of", "state"), [
    ("2026-07-08", "in_force"), ("2026-07-09", "in_force"), ("2026-07-10", "expired"),
])
def test_certification_in_force_through_its_last_day(run: Any, as_of: str, state: str) -> None:
    verdict = run(facts("nmg-sme-draft", "2023-07-10"), as_of)
    assert verdict.valid_until == d("2026-07-09")
    assert verdict.state == state


@pytest.mark.parametrize(("regime", "certified", "reviews", "last"), [
    ("miit-sme-2022", "2025-03-01", (), "2028-02-29"),          # the day before 2028-03-01: a leap February's last
    ("miit-sme-2022", "2024-02-29", (), "2027-02-28"),          # the anniversary of a February 29 is March 1
    ("nmg-sme-draft", "2022-03-01", (Review("pass", d("2025-02-01")),), "2028-02-29"),   # 2025-02-28 extended
    ("nmg-sme-draft", "2024-02-29", (Review("pass", d("2027-01-10")),), "2030-02-28"),   # 2027-02-28 extended
])
@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_validity_ends_the_day_before_an_anniversary_leap_days_both_ways(
        run: Any, regime: str, certified: str, reviews: tuple[Review, ...], last: str, offset: int) -> None:
    as_of = d(last) + dt.timedelta(days=offset)
    verdict = run(facts(regime, certified, reviews=reviews), str(as_of))
    assert verdict.valid_until == d(last)
    assert verdict.state == ("expired" if offset > 0 else "in_force")
    assert ("validity_expired" in {w.code for w in verdict.warnings}) is (offset > 0)
    assert one(verdict, f"renewal_review:{last}").due == d(last)


def test_batch_and_roster_set_valid_until(run: Any) -> None:
    assert run(facts("miit-sme-2022", "2023-03-01", batch="2022"), "2024-01-01").valid_until == d("2025-12-31")
    assert run(facts("miit-sme-2022", "2023-03-01", batch="2023"), "2024-01-01").valid_until == d("2026-02-28")
    explicit = facts("miit-sme-2022", "2023-03-01", batch="2022", valid_until="2026-03-31")
    assert run(explicit, "2024-01-01").valid_until == d("2026-03-31")


def test_regime_without_validity_is_in_force_until_revoked(run: Any) -> None:
    verdict = run(facts("ah-amc-2024", "2024-06-30"), "2040-01-01")
    assert (verdict.state, verdict.valid_until) == ("in_force", None)
    revoked = run(facts("ah-amc-2024", "2024-06-30", revoked_on="2026-01-05"), "2026-01-05")
    assert revoked.state == "revoked"


# -- renewal review ------------------------------------------------------------------------------

def test_passing_review_extends_from_the_old_last_day_and_repeats(run: Any) -> None:
    f = facts("nmg-sme-draft", "2023-07-10", reviews=(Review("pass", d("2026-05-01")), Review("pass", d("2029-09-01"))))
    before_second = run(f, "2029-08-31")
    assert before_second.valid_until == d("2029-07-09")
    assert before_second.state == "expired"
    after = run(f, "2029-09-01")
    assert after.valid_until == d("2032-07-09")
    assert after.state == "in_force"
    assert one(after, "renewal_review:2026-07-09").state == "done"
    assert one(after, "renewal_review:2029-07-09").state == "late"
    assert one(after, "renewal_review:2032-07-09").state == "pending"


@pytest.mark.parametrize(("as_of", "state", "days_left"), [
    ("2026-07-08", "pending", 1), ("2026-07-09", "pending", 0), ("2026-07-10", "overdue", -1),
])
def test_renewal_review_due_on_valid_until(run: Any, as_of: str, state: str, days_left: int) -> None:
    o = one(run(facts("nmg-sme-draft", "2023-07-10"), as_of), "renewal_review:2026-07-09")
    assert (o.state, o.days_left, o.basis) == (state, days_left, "第十一条")


def test_failing_review_revokes_and_does_not_extend(run: Any) -> None:
    verdict = run(facts("nmg-sme-draft", "2023-07-10", reviews=(Review("fail", d("2026-06-20")),)), "2026-06-20")
    assert codes(verdict, "review", "validity") == {"review_failed:2026-06-20": "revocation"}
    assert verdict.valid_until == d("2026-07-09")
    [w] = [w for w in verdict.warnings if w.code == "review_failed"]
    assert w.basis == "第十五条（一）"
    assert one(verdict, "renewal_review:2026-07-09").state == "done"


@pytest.mark.parametrize(("reviews", "severity"), [
    ((), "revocation"),                                            # 有效期满未申请复核
    ((Review("applied", d("2026-07-09")),), "risk"),               # applied on the last day: in time
    ((Review("applied", d("2026-07-10")),), "revocation"),         # applied the day after: too late
])
def test_miit_expiry_without_application_is_a_revocation_ground(run: Any, reviews: tuple[Review, ...],
                                                                  severity: str) -> None:
    verdict = run(facts("miit-sme-2022", "2023-07-10", reviews=reviews), "2026-07-20")
    assert codes(verdict, "validity", "review") == {"validity_expired:2026-07-09": severity}
    [w] = [w for w in verdict.warnings if w.code == "validity_expired"]
    assert w.basis == "第十七条（一）"


def test_miit_application_completes_the_renewal_obligation(run: Any) -> None:
    verdict = run(facts("miit-sme-2022", "2023-07-10", reviews=(Review("applied", d("2026-06-01")),)), "2026-06-02")
    assert one(verdict, "renewal_review:2026-07-09").state == "done"
    assert codes(verdict, "validity", "review") == {}


def test_nmg_expiry_is_a_risk_and_application_does_not_complete(run: Any) -> None:
    verdict = run(facts("nmg-sme-draft", "2023-07-10", reviews=(Review("applied", d("2026-06-01")),)), "2026-07-10")
    assert codes(verdict, "validity", "review") == {"validity_expired:2026-07-09": "risk"}
    assert one(verdict, "renewal_review:2026-07-09").state == "overdue"


def test_validity_expired_not_before_the_day_after(run: Any) -> None:
    assert codes(run(facts("miit-sme-2022", "2023-07-10"), "2026-07-09"), "validity") == {}
    assert "validity_expired:2026-07-09" in codes(run(facts("miit-sme-2022", "2023-07-10"), "2026-07-10"))


# -- annual reports -----------------------------------------------------------------------------

def test_first_report_follows_certification_in_force_on_january_first(run: Any) -> None:
    late_in_year = run(facts("miit-sme-2022", "2023-10-15"), "2024-01-01")
    assert one(late_in_year, "annual_report:2023").due == d("2024-04-30")
    january = run(facts("miit-sme-2022", "2024-01-20"), "2025-01-01")
    assert [o.year for o in january.obligations if o.kind == "annual_report"] == [2024]
    assert one(january, "annual_report:2024").due == d("2025-04-30")


def test_report_obligation_exists_from_january_first_of_its_due_year(run: Any) -> None:
    f = facts("nmg-sme-draft", "2023-05-01")
    assert [o.year for o in run(f, "2024-12-31").obligations if o.kind == "annual_report"] == [2023]
    assert [o.year for o in run(f, "2025-01-01").obligations if o.kind == "annual_report"] == [2023, 2024]


@pytest.mark.parametrize(("regime", "batch", "due", "severity", "basis"), [
    ("miit-sme-2022", None, "2025-04-30", "revocation", "第十七条（三）"),
    ("miit-sme-2022", "2024", "2025-03-31", "revocation", "第十七条（三）"),
    ("nmg-sme-draft", None, "2025-03-10", "revocation", "第十五条（三）"),
    ("nmg-amc-2025", None, "2025-03-31", "risk", "第十一条"),
])
def test_report_due_day_and_overdue_severity(run: Any, regime: str, batch: str | None, due: str, severity: str,
                                             basis: str) -> None:
    kw = {"batch": batch} if batch else {}
    f = facts(regime, "2023-11-20", **kw)
    due_day = d(due)
    on_day = run(f, due)
    assert one(on_day, "annual_report:2024").state == "pending"
    assert one(on_day, "annual_report:2024").days_left == 0
    after = run(f, (due_day + dt.timedelta(days=1)).isoformat())
    assert one(after, "annual_report:2024").state == "overdue"
    [w] = [w for w in after.warnings if w.key == "annual_report_overdue:2024"]
    assert (w.severity, w.basis) == (severity, basis)


@pytest.mark.parametrize(("filed", "state"), [("2025-03-09", "done"), ("2025-03-10", "done"), ("2025-03-11", "late")])
def test_report_filed_on_the_due_day_is_on_time(run: Any, filed: str, state: str) -> None:
    f = facts("nmg-sme-draft", "2023-11-20", reports=(Report(2024, d(filed)),))
    assert one(run(f, "2025-06-01"), "annual_report:2024").state == state


def test_a_filing_counts_by_its_date_and_is_unseen_before_it(run: Any) -> None:
    f = facts("nmg-sme-draft", "2023-11-20", reports=(Report(2024, d("2025-03-05")),))
    assert one(run(f, "2025-03-04"), "annual_report:2024").state == "pending"
    assert one(run(f, "2025-04-10"), "annual_report:2024").state == "done"


def test_late_report_warns_until_the_next_is_filed_on_time(run: Any) -> None:
    late = (Report(2023, d("2024-03-20")),)
    f = facts("nmg-sme-draft", "2022-11-20", reports=late)
    assert codes(run(f, "2024-04-01"))["annual_report_late:2023"] == "risk"
    still = facts("nmg-sme-draft", "2022-11-20", reports=(*late, Report(2024, d("2025-03-11"))))
    assert "annual_report_late:2024" in codes(run(still, "2025-04-01"))
    cleared = facts("nmg-sme-draft", "2022-11-20", reports=(*late, Report(2024, d("2025-03-10"))))
    assert not any(k.startswith("annual_report_late") for k in codes(run(cleared, "2025-04-01")))


def test_no_report_once_expired_on_january_first(run: Any) -> None:
    # valid until 2026-07-09, review outstanding: not in force on 2027-01-01, so no report on 2026
    verdict = run(facts("nmg-sme-draft", "2023-07-10"), "2027-06-01")
    assert [o.year for o in verdict.obligations if o.kind == "annual_report"] == [2023, 2024, 2025]


def test_report_not_required_when_revoked_on_or_before_the_due_day(run: Any) -> None:
    on_due = run(facts("nmg-sme-draft", "2023-05-01", revoked_on="2025-03-10"), "2025-06-01")
    assert [o.year for o in on_due.obligations if o.kind == "annual_report"] == [2023]
    after_due = run(facts("nmg-sme-draft", "2023-05-01", revoked_on="2025-03-11"), "2025-06-01")
    assert [o.year for o in after_due.obligations if o.kind == "annual_report"] == [2023, 2024]
    assert after_due.state == "revoked"


# -- change filings -----------------------------------------------------------------------------

@pytest.mark.parametrize(("changed", "due"), [
    ("2025-01-31", "2025-02-28"),
    ("2026-09-01", "2026-10-08"),
    ("2026-01-15", "2026-02-24"),
])
def test_change_filing_due_one_month_later_rolled_past_rest_days(run: Any, changed: str, due: str) -> None:
    f = facts("nmg-sme-draft", "2024-06-01", changes=(Change("operator", d(changed)),))
    o = one(run(f, changed), f"change_filing:operator:{changed}")
    assert (o.due, o.state, o.basis, o.calendar) == (d(due), "pending", "第十四条", None)


@pytest.mark.parametrize(("as_of", "filed", "state", "warning"), [
    ("2026-10-08", None, "pending", None),
    ("2026-10-09", None, "overdue", "change_filing_overdue"),
    ("2026-10-09", "2026-10-08", "done", None),
    ("2026-10-09", "2026-10-09", "late", "change_filing_late"),
])
def test_change_filing_states(run: Any, as_of: str, filed: str | None, state: str, warning: str | None) -> None:
    change = Change("spatial_scope", d("2026-09-01"), d(filed) if filed else None)
    verdict = run(facts("nmg-sme-draft", "2024-06-01", changes=(change,)), as_of)
    assert one(verdict, "change_filing:spatial_scope:2026-09-01").state == state
    found = {w.code: (w.severity, w.basis) for w in verdict.warnings if w.code.startswith("change")}
    if warning is None:
        assert found == {}
    else:
        severity = "revocation" if warning == "change_filing_overdue" else "risk"
        assert found == {warning: (severity, "第十五条（四）")}


def test_late_change_warning_lasts_a_year_after_the_filing(run: Any) -> None:
    f = facts("nmg-sme-draft", "2024-06-01", changes=(Change("operator", d("2025-01-06"), d("2025-03-01")),))
    assert "change_filing_late:operator:2025-01-06" in codes(run(f, "2026-02-28"))
    assert codes(run(f, "2026-03-01"), "change") == {}


def test_miit_change_has_no_window_and_stays_pending(run: Any, packs: dict[str, Pack]) -> None:
    f = facts("miit-sme-2022", "2024-06-01", changes=(Change("leading_industry", d("2025-01-06")),))
    verdict = run(f, "2030-01-01")
    o = one(verdict, "change_filing:leading_industry:2025-01-06")
    assert (o.due, o.state, o.days_left) == (None, "pending", None)
    assert codes(verdict)["change_filing_pending:leading_industry:2025-01-06"] == "risk"
    filed = facts("miit-sme-2022", "2024-06-01", changes=(Change("leading_industry", d("2025-01-06"), d("2025-05-01")),))
    assert one(run(filed, "2025-05-02"), "change_filing:leading_industry:2025-01-06").state == "done"


def test_config_can_give_miit_a_window(run: Any, packs: dict[str, Pack]) -> None:
    pack = packs["miit-sme-2022"]
    windowed = msgspec.structs.replace(pack, change_filing=msgspec.structs.replace(pack.change_filing, window_months=1))
    f = facts("miit-sme-2022", "2024-06-01", changes=(Change("operator", d("2026-09-01")),))
    verdict = run(f, "2026-10-09", windowed)
    assert one(verdict, "change_filing:operator:2026-09-01").due == d("2026-10-08")
    assert codes(verdict, "change") == {"change_filing_overdue:operator:2026-09-01": "revocation"}


def test_due_day_in_an_uncovered_year_says_which_calendar(run: Any) -> None:
    f = facts("nmg-sme-draft", "2030-06-01", changes=(Change("operator", d("2031-02-10")),))
    o = one(run(f, "2031-02-11"), "change_filing:operator:2031-02-10")
    assert (o.due, o.calendar) == (d("2031-03-10"), "statutory")


# -- assessments ----------------------------------------------------------------------------------

def results(*pairs: tuple[int, str]) -> tuple[AssessmentResult, ...]:
    return tuple(AssessmentResult(year, result, dt.date(year + 1, 1, 1)) for year, result in pairs)


@pytest.mark.parametrize(("pairs", "expected"), [
    (((2024, "fail"), (2025, "fail")), {"assessment_failed_consecutive:2024": "revocation"}),
    (((2023, "fail"), (2024, "pass"), (2025, "fail")), {"assessment_failed:2025": "risk"}),
    (((2023, "fail"), (2025, "fail")), {"assessment_failed:2025": "risk"}),
    (((2024, "fail"), (2025, "pass")), {}),
    (((2024, "pass"),), {}),
    (((2022, "fail"), (2023, "fail"), (2024, "pass")), {"assessment_failed_consecutive:2022": "revocation"}),
])
def test_consecutive_assessment_failures(run: Any, pairs: tuple[tuple[int, str], ...], expected: dict[str, str]) -> None:
    verdict = run(facts("ah-amc-2024", "2022-06-30", assessments=results(*pairs)), "2026-06-01")
    assert codes(verdict) == expected
    assert all(w.basis == "第十四条" for w in verdict.warnings)


def test_assessment_counts_from_its_announcement(run: Any) -> None:
    f = facts("ah-amc-2024", "2022-06-30", assessments=results((2024, "fail"), (2025, "fail")))
    assert codes(run(f, "2025-12-31")) == {"assessment_failed:2024": "risk"}
    assert codes(run(f, "2026-01-01")) == {"assessment_failed_consecutive:2024": "revocation"}


def test_the_limit_is_pack_data(run: Any, packs: dict[str, Pack]) -> None:
    pack = packs["ah-amc-2024"]
    three = msgspec.structs.replace(pack, assessment=msgspec.structs.replace(pack.assessment, consecutive_failures=3))
    f = facts("ah-amc-2024", "2022-06-30", assessments=results((2024, "fail"), (2025, "fail")))
    assert codes(run(f, "2026-06-01", three)) == {"assessment_failed:2025": "risk"}


# -- incidents and revocation --------------------------------------------------------------------

@pytest.mark.parametrize(("regime", "ground", "severity", "basis"), [
    ("miit-sme-2022", "false_declaration", "revocation", "第十七条（二）"),
    ("miit-sme-2022", "major_accident", "revocation", "第十七条（五）"),
    ("nmg-sme-draft", "non_cooperation", "revocation", "第十五条（三）"),
    ("ah-amc-2024", "violation", "revocation", "第十四条"),
    ("ah-amc-2024", "major_accident", "notice", "第十四条"),
    ("nmg-amc-2025", "violation", "notice", "第十一条"),
    ("xj-amc", "major_accident", "notice", "第十条"),
])
def test_incident_severity_follows_the_regime(run: Any, regime: str, ground: str, severity: str, basis: str) -> None:
    f = facts(regime, "2025-09-01", incidents=(Incident(ground, d("2026-01-05")),))
    assert codes(run(f, "2026-01-04")) == {}
    [w] = run(f, "2026-01-05").warnings
    assert (w.code, w.severity, w.basis) == ("incident", severity, basis)


def test_incident_ends_when_dismissed_or_revoked(run: Any) -> None:
    dismissed = facts("xj-amc", "2025-09-01", incidents=(Incident("violation", d("2026-01-05"), None, d("2026-02-01")),))
    assert len(run(dismissed, "2026-01-31").warnings) == 1
    assert run(dismissed, "2026-02-01").warnings == ()
    revoked = facts("xj-amc", "2025-09-01", incidents=(Incident("violation", d("2026-01-05")),), revoked_on="2026-03-01")
    assert len(run(revoked, "2026-02-28").warnings) == 1
    assert run(revoked, "2026-03-01").warnings == ()


def test_nothing_falls_due_after_a_revocation(run: Any) -> None:
    f = facts("nmg-sme-draft", "2023-07-10", revoked_on="2025-06-01",
              changes=(Change("operator", d("2025-05-20")),))
    verdict = run(f, "2027-01-01")
    assert verdict.state == "revoked"
    assert all(o.due is not None and o.due <= d("2025-06-01") for o in verdict.obligations)
    assert [o.key for o in verdict.obligations] == ["annual_report:2023", "annual_report:2024"]
    assert run(f, "2025-05-31").state == "in_force"     # the revocation is unseen before its date


# -- a sixth regime needs a file and nothing else ---------------------------------------------------

def test_a_new_pack_adopts_the_rules_as_data(run: Any) -> None:
    pack = parse_pack({
        "id": "test-amc", "title": "试行办法", "document": "测试〔2026〕1号",
        "validity": {"years": 5, "basis": "第三条", "extension_years": 2, "extension_basis": "第三条",
                     "review_failed_basis": "第九条", "expired_basis": "第三条"},
        "annual_report": {"due": "06-30", "reporter": "bureau", "basis": "第四条", "overdue_severity": "risk",
                          "overdue_basis": "第九条"},
        "assessment": {"consecutive_failures": 3, "basis": "第八条"},
        "incidents": {"notice_basis": "第九条", "revocation_grounds": {"violation": "第九条（二）"}},
    }, "test")
    f = Facts(Cluster("T-1", "新集群", "test-amc", d("2026-01-10")),
              assessments=results((2027, "fail"), (2028, "fail"), (2029, "fail")))
    verdict = run(f, "2030-07-01", pack)
    assert verdict.valid_until == d("2031-01-09")
    assert one(verdict, "annual_report:2026").due == d("2027-06-30")
    assert codes(verdict)["assessment_failed_consecutive:2027"] == "revocation"
    assert codes(verdict)["annual_report_overdue:2029"] == "risk"
