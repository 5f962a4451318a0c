"""Pack language v2 (docs/rules.md, "Rules a pack may adopt"): consecutive failed reports, a review application
window, the review's own article, native TOML dates; each at the day before, on and after its edge."""

from __future__ import annotations

import datetime as dt
import tomllib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.rules.engine import evaluate, window_opens
from monitor.rules.facts import Cluster, Facts, Report, Review
from monitor.rules.packs import Pack, parse_pack
from monitor.rules.stages import next_change, obligation_stage
from monitor.rules.states import ObligationState, Severity
from monitor.rules.verdict import Verdict
from monitor.rules.workdays import WorkCalendar
from tests.conftest import d

PROVINCE = """
id = "prov"
title = "某省先进制造业集群培育管理办法"
document = "某工信规〔2026〕1号"

[validity]
years = 3
basis = "第十条"
extension_years = 3
extension_basis = "第十条"
review_by_application = true
application_basis = "第十一条"
review_basis = "第十一条"
application_window_months = 3
review_failed_basis = "第十五条（一）"
expired_basis = "第十五条（一）"
expired_unapplied_severity = "revocation"

[annual_report]
due = "03-31"
reporter = "bureau"
basis = "第十二条"
overdue_severity = "risk"
overdue_basis = "第十五条（二）"
consecutive_failures = 2

[incidents]
notice_basis = "第十五条"

[[batches]]
id = "2026"
notice = "某工信函〔2026〕9号"
valid_until = 2028-06-29
"""


def pack(text: str = PROVINCE, **changes: object) -> Pack:
    data = tomllib.loads(text)
    for dotted, value in changes.items():
        section, key = dotted.split("__")
        data[section][key] = value
    return parse_pack(data, "prov.toml", "prov")


CALENDAR = WorkCalendar.load()


def verdict(facts: Facts, as_of: str, rules: Pack | None = None) -> Verdict:
    return evaluate(rules or pack(), facts, d(as_of), CALENDAR)


def cluster(certified: str, **kw: object) -> Facts:
    return Facts(Cluster("P-1", "集群", "prov", d(certified)), **kw)  # type: ignore[arg-type]


def warnings(v: Verdict, code: str) -> list[tuple[str, Severity, str]]:
    return [(w.key, w.severity, w.basis) for w in v.warnings if w.code == code]


# --- the review application window: valid until 2027-01-14, three months: 2026-10-15 to 2027-01-14 ---------------

def test_the_window_runs_from_the_day_after_the_last_day_less_n_months() -> None:
    assert window_opens(d("2027-01-14"), 3) == d("2026-10-15")
    assert window_opens(d("2027-05-31"), 3) == d("2027-03-01")     # 06-01 - 3 months
    assert window_opens(d("2027-02-28"), 1) == d("2027-02-01")
    assert window_opens(d("2027-01-14"), None) is None


@pytest.mark.parametrize(("applied", "counts"), [("2026-10-14", False), ("2026-10-15", True), ("2026-10-16", True),
                                                 ("2027-01-14", True)])
def test_an_application_counts_only_inside_the_window(applied: str, counts: bool) -> None:
    facts = cluster("2024-01-15", reviews=(Review("applied", d(applied)),))
    v = verdict(facts, "2027-01-14")
    renewal = next(o for o in v.obligations if o.kind == "renewal_review")
    assert (renewal.due, renewal.opens, renewal.basis) == (d("2027-01-14"), d("2026-10-15"), "第十一条")
    assert (renewal.state is ObligationState.DONE) is counts
    early = warnings(v, "review_applied_early")
    assert early == ([] if counts else [(f"review_applied_early:{applied}", Severity.NOTICE, "第十一条")])
    after = verdict(facts, "2027-01-15")          # the day after the last day
    expired = [w for w in after.warnings if w.code == "validity_expired"]
    assert expired[0].severity is (Severity.RISK if counts else Severity.REVOCATION)   # an early one is not "applied"


def test_an_early_application_then_one_in_the_window_completes_the_review() -> None:
    facts = cluster("2024-01-15", reviews=(Review("applied", d("2026-09-01")), Review("applied", d("2026-11-02"))))
    v = verdict(facts, "2026-12-01")
    assert warnings(v, "review_applied_early") == []
    assert next(o for o in v.obligations if o.kind == "renewal_review").done_on == d("2026-11-02")


@pytest.mark.parametrize(("as_of", "stage"), [("2026-10-14", None), ("2026-10-15", ("opens", "2026-10-15")),
                                              ("2026-10-16", ("opens", "2026-10-15")),
                                              ("2026-11-15", ("lead:60", "2026-11-15"))])
def test_the_window_opening_is_a_reminder_stage(as_of: str, stage: tuple[str, str] | None) -> None:
    found = obligation_stage(d("2027-01-14"), d(as_of), (60, 30, 14, 7, 3, 1, 0), 7, d("2026-10-15"))
    assert found == (None if stage is None else (stage[0], d(stage[1])))


def test_the_daemon_comes_back_on_the_day_the_window_opens() -> None:
    on_time = (Report(2024, d("2025-03-01")), Report(2025, d("2026-03-01")))
    v = verdict(cluster("2024-01-15", reports=on_time), "2026-10-01")
    lead = dict.fromkeys(("renewal_review", "annual_report", "change_filing"), (60, 30, 14, 7, 3, 1, 0))
    assert next_change(v, d("2026-10-01"), lead, 7, {}) == d("2026-10-15")


def test_without_review_basis_the_review_cites_the_validity_article() -> None:
    text = PROVINCE.replace('review_basis = "第十一条"\n', "")
    renewal = next(o for o in verdict(cluster("2024-01-15"), "2026-01-01", pack(text)).obligations
                   if o.kind == "renewal_review")
    assert renewal.basis == "第十条"


def test_native_toml_dates_are_accepted() -> None:
    rules = pack()
    batch = rules.batch("2026")
    assert batch is not None and batch.valid_until == dt.date(2028, 6, 29)
    assert verdict(Facts(Cluster("P-2", "集群", "prov", d("2026-01-10"), batch="2026")), "2026-06-01",
                   rules).valid_until == d("2028-06-29")


# --- consecutive failed reports: certified 2023-06-01, the report on 2023 due 2024-03-31 -------------------------

def test_the_second_consecutive_failure_revokes_from_the_day_it_is_known() -> None:
    facts = cluster("2023-06-01", reports=(Report(2023, d("2024-04-05")),))     # late
    on_due = verdict(facts, "2025-03-31")                                       # 2024's report still due today
    assert warnings(on_due, "annual_report_failed_consecutive") == []
    assert warnings(on_due, "annual_report_late") == [("annual_report_late:2023", Severity.RISK, "第十五条（二）")]
    after = verdict(facts, "2025-04-01")                                        # 2024's is overdue: two running
    assert warnings(after, "annual_report_failed_consecutive") == [
        ("annual_report_failed_consecutive:2023", Severity.REVOCATION, "第十五条（二）")]
    assert dict(next(w for w in after.warnings if w.code == "annual_report_failed_consecutive").params)["years"] == \
        "2023、2024"
    assert warnings(after, "annual_report_overdue") == [("annual_report_overdue:2024", Severity.RISK, "第十五条（二）")]


def test_a_year_done_on_time_breaks_the_run() -> None:
    facts = cluster("2023-06-01", reports=(Report(2023, d("2024-04-05")), Report(2024, d("2025-03-01"))))
    assert warnings(verdict(facts, "2026-04-01"), "annual_report_failed_consecutive") == []   # fail, done, fail
    late_again = cluster("2023-06-01", reports=(Report(2023, d("2024-04-05")), Report(2024, d("2025-03-01")),
                                                Report(2025, d("2026-04-02"))),
                         reviews=(Review("pass", d("2026-05-01")),))            # in force to 2029-05-31
    v = verdict(late_again, "2027-04-01")                                       # fail, done, fail, fail
    assert [key for key, _, _ in warnings(v, "annual_report_failed_consecutive")] == [
        "annual_report_failed_consecutive:2025"]


def test_a_year_not_required_breaks_the_run() -> None:
    # revoked on 2025-03-01: the report on 2024 (due 2025-03-31) is never required, so 2023 stands alone
    facts = cluster("2023-06-01", revoked_on=d("2025-03-01"))
    v = verdict(facts, "2026-01-01")
    assert [o.key for o in v.obligations if o.kind == "annual_report"] == ["annual_report:2023"]
    assert warnings(v, "annual_report_failed_consecutive") == []


def test_without_the_rule_a_late_report_stays_a_risk_and_nothing_revokes_for_a_run() -> None:
    text = PROVINCE.replace("consecutive_failures = 2\n", "").replace('overdue_severity = "risk"',
                                                                     'overdue_severity = "notice"')
    v = verdict(cluster("2023-06-01", reports=(Report(2023, d("2024-04-05")),)), "2025-04-01", pack(text))
    assert warnings(v, "annual_report_late")[0][1] is Severity.RISK
    assert warnings(v, "annual_report_failed_consecutive") == []
    with_rule = pack(text.replace('overdue_basis = "第十五条（二）"\n', 'overdue_basis = "第十五条（二）"\n'
                                                                        "consecutive_failures = 3\n"))
    late = verdict(cluster("2023-06-01", reports=(Report(2023, d("2024-04-05")),)), "2024-12-01", with_rule)
    assert warnings(late, "annual_report_late")[0][1] is Severity.NOTICE       # the pack's overdue_severity


OUTCOME = st.sampled_from(["on_time", "late", "missing"])


@settings(max_examples=200, deadline=None)
@given(st.lists(OUTCOME, min_size=1, max_size=7), st.integers(min_value=1, max_value=4))
def test_a_run_of_n_failures_always_revokes_and_fewer_never_do(outcomes: list[str], limit: int) -> None:
    reports = tuple(Report(2016 + i, d(f"{2017 + i}-03-{20 if outcome == 'on_time' else 31}")
                           + dt.timedelta(days=5 if outcome == "late" else 0))
                    for i, outcome in enumerate(outcomes) if outcome != "missing")
    facts = Facts(Cluster("P-1", "集群", "prov", d("2016-01-02")), reports=reports)   # first report: on 2016
    rules = pack(validity__years=30, annual_report__consecutive_failures=limit)        # in force throughout
    as_of = f"{2016 + len(outcomes)}-12-31"         # every year's report is due by then
    longest, run = 0, 0
    for outcome in outcomes:
        run = run + 1 if outcome != "on_time" else 0
        longest = max(longest, run)
    revoking = warnings(verdict(facts, as_of, rules), "annual_report_failed_consecutive")
    assert bool(revoking) is (longest >= limit)
    assert all(severity is Severity.REVOCATION for _, severity, _ in revoking)


def test_the_window_shows_in_json_and_in_the_calendar_event() -> None:
    from monitor.views.document import obligation_json
    from monitor.views.ics import event

    facts = cluster("2024-01-15")
    renewal = next(o for o in verdict(facts, "2026-09-01").obligations if o.kind == "renewal_review")
    assert obligation_json(renewal, "zh")["opens"] == "2026-10-15"
    text = event(facts.cluster, renewal, dt.datetime(2026, 9, 1, tzinfo=dt.UTC), (60, 0), "zh").to_ical().decode()
    assert "申请期始: 2026-10-15" in text.replace("\r\n ", "")
    other = next(o for o in verdict(facts, "2026-09-01").obligations if o.kind == "annual_report")
    assert "opens" not in obligation_json(other, "zh")
