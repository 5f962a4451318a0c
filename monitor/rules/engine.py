"""The rules of docs/rules.md as one pure function: ``evaluate(pack, facts, as_of, calendar[, monitoring_from])
-> Verdict``.

No session, no clock, no I/O. An evaluation as of a date sees only the facts dated on or before it; with a baseline
(``monitoring_from``, docs/rules.md, "Baseline") an obligation due before it that no fact settles is unrecorded.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from monitor.rules.bars import barred_as_of
from monitor.rules.dates import add_months, anniversary, default_valid_until, extended, last_day_in_force
from monitor.rules.facts import EvaluationResult, Facts, Review
from monitor.rules.monitoring import monitoring
from monitor.rules.packs import Pack
from monitor.rules.states import ClusterState, ObligationState, Severity
from monitor.rules.targets import DEFAULT_MARGIN
from monitor.rules.verdict import Alert, Obligation, Publicity, StandardVerdict, Verdict
from monitor.rules.workdays import Coverage, WorkCalendar

#: How long a change filed late stays a warning after its filing (a choice of ours: see docs/rules.md).
LATE_CHANGE_WARNING_DAYS = 365


def _state(due: dt.date | None, done_on: dt.date | None, as_of: dt.date,
           baseline: dt.date | None = None) -> ObligationState:
    if done_on is not None:
        return ObligationState.LATE if due is not None and done_on > due else ObligationState.DONE
    if baseline is not None and due is not None and due < baseline:
        return ObligationState.UNRECORDED
    if due is not None and as_of > due:
        return ObligationState.OVERDUE
    return ObligationState.PENDING


def _obligation(kind: str, key: str, due: dt.date | None, done_on: dt.date | None, as_of: dt.date, basis: str,
                year: int | None = None, change_kind: str | None = None, changed_on: dt.date | None = None,
                calendar: str | None = None, opens: dt.date | None = None,
                baseline: dt.date | None = None) -> Obligation:
    # tuple.__new__ skips the NamedTuple's Python-level __new__: this runs for every obligation of every cluster
    return _new(Obligation, (kind, key, due, _state(due, done_on, as_of, baseline), basis, done_on,
                             None if due is None else (due - as_of).days, year, change_kind, changed_on, calendar,
                             opens))


def window_opens(valid_until: dt.date, months: int | None) -> dt.date | None:
    """The first day of "有效期满前N个月内申请": (last day + 1) - N months (2027-01-14, 3 gives 2026-10-15)."""
    return None if months is None else add_months(valid_until + dt.timedelta(days=1), -months)


_new = tuple.__new__


def _noted(coverage: Coverage) -> str | None:
    """What an obligation or a warning says of the calendar its due day rests on: nothing when it is official."""
    return None if coverage is Coverage.OFFICIAL else coverage.value


def initial_valid_until(pack: Pack, facts: Facts) -> dt.date | None:
    """The first validity's last day: the roster's, else the batch's, else computed (docs/rules.md)."""
    validity = pack.validity
    if validity is None:
        return None
    cluster = facts.cluster
    if cluster.valid_until is not None:
        return cluster.valid_until
    batch = pack.batch(cluster.batch)
    if batch is not None and batch.valid_until is not None:
        return batch.valid_until
    years = batch.validity_years if batch is not None and batch.validity_years else validity.years
    return default_valid_until(cluster.certified_on, years)


def evaluate(pack: Pack, facts: Facts, as_of: dt.date, calendar: WorkCalendar,
             monitoring_from: dt.date | None = None, plan_margin: float = DEFAULT_MARGIN) -> Verdict:
    """``monitoring_from``: the baseline (监测起始日, docs/rules.md): an obligation due before it that no fact
    settles is ``unrecorded``, raising no warning; None (no baseline) evaluates every obligation as due.
    ``plan_margin``: how far (percent of the line's value) a plan target's indicator may fall behind its straight
    line before plan_target_behind (config monitoring.plan_target_margin)."""
    revoked_on = facts.revoked_on if facts.revoked_on is not None and facts.revoked_on <= as_of else None
    valid_until, obligations, warnings, standards = _assess(pack, facts, as_of, calendar, revoked_on, monitoring_from,
                                                            plan_margin)
    if revoked_on is None:
        _incidents(pack, facts, as_of, warnings)
        state = ClusterState.EXPIRED if valid_until is not None and as_of > valid_until else ClusterState.IN_FORCE
    else:
        state = ClusterState.REVOKED
        # Nothing falls due after a revocation; what had no due day is kept only if it was done by then.
        kept = [o for o in obligations if (o.due or o.done_on or dt.date.max) <= revoked_on]
        dropped = {o.key for o in obligations} - {o.key for o in kept}
        obligations = kept
        standing: set[str] | None = None
        if revoked_on < as_of:
            # nothing dated after the revocation raises a warning: only those standing on its day may stay
            valid_until, _, then, _ = _assess(pack, facts, revoked_on, calendar, revoked_on, monitoring_from,
                                              plan_margin)
            standing = {w.key for w in then}
        warnings = [w for w in warnings
                    if (standing is None or w.key in standing) and w.obligation not in dropped]
    return Verdict(facts.cluster.id, state, valid_until, tuple(obligations), tuple(warnings),
                   _publicity(pack, facts, calendar), barred_as_of(pack, facts, as_of), standards)


def _assess(pack: Pack, facts: Facts, as_of: dt.date, calendar: WorkCalendar, revoked_on: dt.date | None,
            baseline: dt.date | None, plan_margin: float = DEFAULT_MARGIN
            ) -> tuple[dt.date | None, list[Obligation], list[Alert], tuple[StandardVerdict, ...]]:
    """The obligations and warnings of every rule but the incidents, as of ``as_of``, the last day in force and
    the standard's verdicts."""
    obligations: list[Obligation] = []
    warnings: list[Alert] = []
    periods = _renewal(pack, facts, as_of, obligations, warnings, baseline)
    valid_until = periods[-1].valid_until if periods else None
    _annual_reports(pack, facts, as_of, periods, revoked_on, obligations, warnings, baseline)
    _changes(pack, facts, as_of, calendar, obligations, warnings, baseline)
    _assessments(pack, facts, as_of, warnings)
    _evaluations(pack, facts, as_of, calendar, valid_until, obligations, warnings, baseline)
    _rectifications(pack, facts, as_of, calendar, obligations, warnings, baseline)
    standards, monitored = monitoring(pack, facts, as_of, valid_until, periods[-1].result_on if periods else None,
                                      plan_margin)
    warnings += monitored
    return valid_until, obligations, warnings, standards


def failed_verdict(cluster_id: str, error: str) -> Verdict:
    """What an overview shows of a cluster whose facts could not be evaluated: one warning saying so, which the
    administrators are reminded of, instead of nothing (or of an overview that stops)."""
    return Verdict(cluster_id, ClusterState.IN_FORCE, None, (), (
        Alert("evaluation_failed", Severity.RISK, "—", "evaluation_failed", (("error", error[:300]),)),))


def _publicity(pack: Pack, facts: Facts, calendar: WorkCalendar) -> Publicity | None:
    """The publicity (公示) period the roster records, ending on its N-th working day (the start counts)."""
    start, rule = facts.cluster.publicity_start, pack.publicity
    if start is None or rule is None:
        return None
    end, coverage = calendar.add_workdays(start - dt.timedelta(days=1), rule.working_days)
    return Publicity(start, end, rule.basis, _noted(coverage))


def _visible_reviews(facts: Facts, as_of: dt.date) -> list[Review]:
    order = {"applied": 0, "pass": 1, "fail": 1}
    return sorted((r for r in facts.reviews if r.on <= as_of), key=lambda r: (r.on, order[r.result]))


class Period(NamedTuple):
    """One validity period of the chain a cluster's reviews make (docs/rules.md, "Validity and renewal review")."""
    valid_until: dt.date
    since: dt.date | None           # the day of the pass that began it; None for the certification's own
    applied_on: dt.date | None      # the first application for its review that counts (by the last day, in the window)
    result_on: dt.date | None       # the day its review's result was recorded (a pass begins the next period)

    def review_pending(self, day: dt.date) -> bool:
        """Applied for in time by ``day``, and no result recorded by then."""
        return (self.applied_on is not None and self.applied_on <= day
                and (self.result_on is None or self.result_on > day))


def _renewal(pack: Pack, facts: Facts, as_of: dt.date, obligations: list[Obligation],
             warnings: list[Alert], baseline: dt.date | None = None) -> list[Period]:
    """Renewal reviews, cycle by cycle: a pass extends from the old last day, a fail ends the chain (unless the pack
    rectifies failed reviews: then the next result of the period decides). With an
    application window, an application dated before it counts for nothing and raises review_applied_early.
    Returns the chain of validity periods (none without a validity), the current one last."""
    validity = pack.validity
    valid_until = initial_valid_until(pack, facts)
    if validity is None or valid_until is None:
        return []
    basis, months = validity.review_basis or validity.basis, validity.application_window_months
    rectified_review = pack.rectification is not None and "review" in pack.rectification.after
    periods: list[Period] = []
    since: dt.date | None = None
    applied_on: dt.date | None = None
    done_on: dt.date | None = None
    applied_in_time = False
    failed: list[Review] = []       # the current period's failed results (more than one only when rectified)
    early: list[Review] = []
    for review in _visible_reviews(facts, as_of):
        opens = window_opens(valid_until, months)
        if review.result == "applied" and opens is not None and review.on < opens:
            early.append(review)
            continue
        applied_in_time = applied_in_time or review.on <= valid_until
        if review.result == "applied":
            if applied_on is None and review.on <= valid_until:
                applied_on = review.on
            if validity.review_by_application and done_on is None:
                done_on = review.on
            continue
        done_on = done_on or review.on
        if review.result == "fail":
            failed.append(review)
            if not rectified_review:
                break
            continue                # rectified, then reviewed again: the next result in this period decides
        obligations.append(_obligation("renewal_review", f"renewal_review:{valid_until}", valid_until, done_on,
                                       as_of, basis, opens=window_opens(valid_until, months)))
        periods.append(Period(valid_until, since, applied_on, review.on))
        failed = []
        valid_until, since = extended(valid_until, validity.extension_years), review.on
        done_on, applied_on, applied_in_time, early = None, None, False, []
    # a failed review rectified is not the period's result: the review is still pending until the next one
    ended_on = failed[0].on if failed and not rectified_review else None
    periods.append(Period(valid_until, since, applied_on, ended_on))
    current = _obligation("renewal_review", f"renewal_review:{valid_until}", valid_until, done_on, as_of, basis,
                          opens=window_opens(valid_until, months), baseline=baseline)
    obligations.append(current)
    if current.is_open:
        warnings.extend(Alert("review_applied_early", Severity.NOTICE, basis, f"review_applied_early:{review.on}",
                              (("on", review.on), ("opens", current.opens))) for review in early)
    warnings.extend(Alert("review_failed", validity.review_failed_severity, validity.review_failed_basis,
                          f"review_failed:{review.on}", (("on", review.on),)) for review in failed)
    if as_of > valid_until and current.state is not ObligationState.UNRECORDED:
        if applied_in_time:
            outcome, severity = "applied", Severity.RISK
        elif validity.review_by_application:
            outcome, severity = "unapplied", validity.expired_unapplied_severity
        else:
            outcome, severity = "outstanding", Severity.RISK
        warnings.append(Alert("validity_expired", severity, validity.expired_basis,
                                f"validity_expired:{valid_until}", (("valid_until", valid_until), ("review", outcome)),
                                obligation=f"renewal_review:{valid_until}"))
    return periods


def _owes_report(periods: list[Period], year: int, due: dt.date, as_of: dt.date) -> bool:
    """docs/rules.md, "Annual reports": in force on December 31 of the year and, on the due day, still in force or
    its review pending, as the facts dated by the due day (and by ``as_of``) make it, so that no later fact can make
    a report appear already overdue. Before the due day, a cluster still in force may yet apply in time."""
    if not periods:
        return True
    known = min(as_of, due)
    period = periods[-1]
    if period.since is not None and period.since > known:     # a pass recorded after ``known``: an earlier period
        period = next(p for p in reversed(periods) if p.since is None or p.since <= known)
    if period.valid_until < dt.date(year, 12, 31):
        return False
    if period.valid_until >= due or period.review_pending(known):
        return True
    return as_of < due and as_of <= period.valid_until


def _annual_reports(pack: Pack, facts: Facts, as_of: dt.date, periods: list[Period],
                    revoked_on: dt.date | None, obligations: list[Obligation], warnings: list[Alert],
                    baseline: dt.date | None = None) -> None:
    rule = pack.annual_report
    if rule is None:
        return
    batch = pack.batch(facts.cluster.batch)
    batch_due = batch.report_due_day if batch is not None else None
    month, day = batch_due or rule.due_day
    basis = f"{rule.basis}；{batch.notice}" if batch is not None and batch_due else rule.basis
    filed: dict[int, dt.date] = {}
    for year, filed_on in facts.reports:
        if filed_on <= as_of and (year not in filed or filed_on < filed[year]):
            filed[year] = filed_on
    late_year: int | None = None
    limit = rule.consecutive_failures
    run: list[int] = []                     # the latest consecutive years whose report failed (overdue or late)
    failed_run: list[int] = []              # the latest run that reached the limit
    # the loop below runs for every year of every cluster: states are decided inline (as _state does)
    # the report on Y appears on January 1 of Y+1; none is owed on a year the cluster ended before it was over
    last_year = min(as_of.year - 1, periods[-1].valid_until.year) if periods else as_of.year - 1
    for year in range(facts.cluster.certified_on.year, last_year + 1):
        due = dt.date(year + 1, month, day)
        if revoked_on is not None and revoked_on <= due:
            break
        if not _owes_report(periods, year, due, as_of):
            run = []                # a year the cluster was not required to report breaks a run
            continue
        done_on = filed.get(year)
        if done_on is None:
            if baseline is not None and due < baseline:
                state = ObligationState.UNRECORDED
            else:
                state = ObligationState.OVERDUE if as_of > due else ObligationState.PENDING
        else:
            state = ObligationState.LATE if done_on > due else ObligationState.DONE
        key = f"annual_report:{year}"
        obligations.append(_new(Obligation, ("annual_report", key, due, state, basis, done_on, (due - as_of).days,
                                             year, None, None, None, None)))
        if state is ObligationState.OVERDUE:
            warnings.append(Alert("annual_report_overdue", rule.overdue_severity, rule.overdue_basis,
                                  f"annual_report_overdue:{year}", (("year", year), ("due", due)), obligation=key))
        elif state is ObligationState.LATE:
            late_year = year
        elif state is ObligationState.UNRECORDED:
            continue                # unknown: it neither fails nor breaks a run until a fact settles it
        else:
            if state is ObligationState.DONE:
                late_year = None
            run = []
            continue
        run.append(year)
        if limit is not None and len(run) >= limit:
            failed_run = list(run)
    if failed_run:
        warnings.append(Alert("annual_report_failed_consecutive", Severity.REVOCATION, rule.overdue_basis,
                              f"annual_report_failed_consecutive:{failed_run[0]}",
                              (("years", "、".join(map(str, failed_run))), ("limit", limit))))
    if late_year is not None:
        # with consecutive_failures, one late year is a failure short of the limit: the pack's overdue severity
        late_severity = rule.overdue_severity if limit is not None else Severity.RISK
        warnings.append(Alert("annual_report_late", late_severity, rule.overdue_basis, f"annual_report_late:{late_year}",
                                (("year", late_year), ("filed_on", filed[late_year])),
                                obligation=f"annual_report:{late_year}"))


def _changes(pack: Pack, facts: Facts, as_of: dt.date, calendar: WorkCalendar,
             obligations: list[Obligation], warnings: list[Alert], baseline: dt.date | None = None) -> None:
    rule = pack.change_filing
    if rule is None:
        return
    for change in sorted(facts.changes, key=lambda c: (c.changed_on, c.kind)):
        if change.changed_on > as_of:
            continue
        due: dt.date | None = None
        coverage: str | None = None
        if rule.window_months is not None:
            due, used = calendar.period_end(change.changed_on, rule.window_months)
            coverage = _noted(used)
        filed_on = change.filed_on if change.filed_on is not None and change.filed_on <= as_of else None
        ident = f"{change.kind}:{change.changed_on}"
        obligation = _obligation("change_filing", f"change_filing:{ident}", due, filed_on, as_of, rule.basis,
                                 change_kind=change.kind, changed_on=change.changed_on, calendar=coverage,
                                 baseline=baseline)
        obligations.append(obligation)
        params: tuple[tuple[str, object], ...] = (("change_kind", change.kind), ("changed_on", change.changed_on),
                                                  ("due", due))
        if obligation.state is ObligationState.OVERDUE:
            warnings.append(Alert("change_filing_overdue", rule.overdue_severity, rule.overdue_basis,
                                    f"change_filing_overdue:{ident}", params, coverage, due, obligation.key))
        elif obligation.state is ObligationState.PENDING and due is None:
            warnings.append(Alert("change_filing_pending", rule.pending_severity, rule.basis,
                                    f"change_filing_pending:{ident}", params, obligation=obligation.key))
        elif (obligation.state is ObligationState.LATE and filed_on is not None
              and (as_of - filed_on).days < LATE_CHANGE_WARNING_DAYS):
            # late is no worse than overdue: a pack whose overdue filing is a notice has a late one a notice too
            late_severity = min(Severity.RISK, rule.overdue_severity, key=lambda s: s.rank)
            warnings.append(Alert("change_filing_late", late_severity, rule.overdue_basis,
                                    f"change_filing_late:{ident}", (*params, ("filed_on", filed_on)), coverage, due,
                                    obligation.key))


def _assessments(pack: Pack, facts: Facts, as_of: dt.date, warnings: list[Alert]) -> None:
    rule = pack.assessment
    if rule is None:
        return
    results = {a.year: a.result for a in facts.assessments if a.on <= as_of}
    if not results:
        return
    failing = sorted(year for year, result in results.items() if result == "fail")
    run_start, run_length = None, 0
    for index, year in enumerate(failing):
        run_length = run_length + 1 if index and failing[index - 1] == year - 1 else 1
        if run_length >= rule.consecutive_failures:
            run_start = year - run_length + 1
            last = year
    if run_start is not None:
        years = tuple(range(run_start, last + 1))
        warnings.append(Alert("assessment_failed_consecutive", Severity.REVOCATION, rule.basis,
                                f"assessment_failed_consecutive:{years[0]}",
                                (("years", "、".join(map(str, years))), ("limit", rule.consecutive_failures))))
        return
    latest = max(results)
    if results[latest] == "fail":
        warnings.append(Alert("assessment_failed", Severity.RISK, rule.basis, f"assessment_failed:{latest}",
                                (("year", latest), ("limit", rule.consecutive_failures))))


class Cycle(NamedTuple):
    """An evaluation cycle (docs/rules.md, "Evaluation cycles")."""
    starts: dt.date
    ends: dt.date
    due: dt.date
    calendar: str | None


def _cycles(pack: Pack, facts: Facts, as_of: dt.date, calendar: WorkCalendar,
            valid_until: dt.date | None) -> list[Cycle]:
    """The cycles begun by ``as_of`` that end while the certification is in force."""
    rule, certified_on = pack.evaluation, facts.cluster.certified_on
    cycles: list[Cycle] = []
    if rule is None:
        return cycles
    while (starts := anniversary(certified_on, len(cycles) * rule.every_years)) <= as_of:
        ends = last_day_in_force(certified_on, (len(cycles) + 1) * rule.every_years)
        if valid_until is not None and ends > valid_until:
            break
        due, coverage = ends, Coverage.OFFICIAL
        if rule.due_after_months:
            due, coverage = calendar.period_end(ends, rule.due_after_months)
        cycles.append(Cycle(starts, ends, due, _noted(coverage)))
    return cycles


def _evaluations(pack: Pack, facts: Facts, as_of: dt.date, calendar: WorkCalendar, valid_until: dt.date | None,
                 obligations: list[Obligation], warnings: list[Alert], baseline: dt.date | None = None) -> None:
    """One evaluation a cycle; a result settles the earliest cycle begun by its day that is still unsettled."""
    rule = pack.evaluation
    if rule is None:
        return
    cycles = _cycles(pack, facts, as_of, calendar, valid_until)
    settled: dict[int, EvaluationResult] = {}
    results = sorted((e for e in facts.evaluations if e.on <= as_of), key=lambda e: e.on)
    for result in results:
        index = next((i for i, c in enumerate(cycles) if i not in settled and c.starts <= result.on), None)
        if index is not None:
            settled[index] = result
    overdue_basis = rule.overdue_basis or rule.basis
    for index, cycle in enumerate(cycles):
        settled_by = settled.get(index)
        key = f"evaluation:{cycle.ends}"
        obligation = _obligation("evaluation", key, cycle.due, settled_by.on if settled_by else None, as_of, rule.basis,
                                 calendar=cycle.calendar, baseline=baseline)
        obligations.append(obligation)
        if obligation.state is ObligationState.OVERDUE:
            warnings.append(Alert("evaluation_overdue", rule.overdue_severity, overdue_basis,
                                  f"evaluation_overdue:{cycle.ends}", (("ends", cycle.ends), ("due", cycle.due)),
                                  cycle.calendar, cycle.due, key))
    if results and results[-1].result == "fail":
        latest = results[-1]
        warnings.append(Alert("evaluation_not_passed", rule.failed_severity, rule.failed_basis or rule.basis,
                              f"evaluation_not_passed:{latest.on}", (("on", latest.on),)))


def _failures(pack: Pack, facts: Facts, as_of: dt.date) -> list[tuple[dt.date, str]]:
    """The failed results a rectification must follow, by day."""
    after = pack.rectification.after if pack.rectification is not None else ()
    failed: list[tuple[dt.date, str]] = []
    if "assessment" in after:
        failed += [(a.on, "assessment") for a in facts.assessments if a.result == "fail" and a.on <= as_of]
    if "evaluation" in after:
        failed += [(e.on, "evaluation") for e in facts.evaluations if e.result == "fail" and e.on <= as_of]
    if "review" in after:
        failed += [(r.on, "review") for r in facts.reviews if r.result == "fail" and r.on <= as_of]
    return sorted(failed)


def _rectifications(pack: Pack, facts: Facts, as_of: dt.date, calendar: WorkCalendar,
                    obligations: list[Obligation], warnings: list[Alert], baseline: dt.date | None = None) -> None:
    """限期整改: each failure opens a rectification due ``months`` after it; a completed rectification settles the
    earliest open one failed by its day; a failure after a completed rectification is the repeat the pack names."""
    rule = pack.rectification
    if rule is None:
        return
    unused = sorted(day for day in facts.rectifications if day <= as_of)
    first_rectified: dt.date | None = None      # the earliest rectification completed (they settle in order)
    for on, kind in _failures(pack, facts, as_of):
        ident = f"{kind}:{on}"
        if first_rectified is not None and first_rectified < on:
            warnings.append(Alert("failed_after_rectification", rule.repeat_severity, rule.repeat_basis,
                                  f"failed_after_rectification:{ident}",
                                  (("failed", kind), ("on", on), ("rectified_on", first_rectified))))
            continue
        due, used = calendar.period_end(on, rule.months_after(kind))
        coverage = _noted(used)
        done_on = next((day for day in unused if day >= on), None)
        if done_on is not None:
            unused.remove(done_on)
            first_rectified = first_rectified or done_on
        key = f"rectification:{ident}"
        obligation = _obligation("rectification", key, due, done_on, as_of, rule.basis, calendar=coverage,
                                 baseline=baseline)
        obligations.append(obligation)
        if obligation.state is ObligationState.OVERDUE:
            warnings.append(Alert("rectification_overdue", rule.lapse_severity, rule.lapse_basis,
                                  f"rectification_overdue:{ident}", (("failed", kind), ("on", on), ("due", due)),
                                  coverage, due, key))


def _incidents(pack: Pack, facts: Facts, as_of: dt.date, warnings: list[Alert]) -> None:
    grounds = pack.incidents.revocation_grounds
    for incident in sorted(facts.incidents, key=lambda i: (i.on, i.ground)):
        if incident.on > as_of or (incident.dismissed_on is not None and incident.dismissed_on <= as_of):
            continue
        basis = grounds.get(incident.ground)
        warnings.append(Alert(
            "incident", Severity.REVOCATION if basis else Severity.NOTICE, basis or pack.incidents.notice_basis,
            f"incident:{incident.ground}:{incident.on}",
            (("ground", incident.ground), ("on", incident.on), ("note", incident.note or "")),
        ))
