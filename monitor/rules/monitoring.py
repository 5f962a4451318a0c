"""Annual monitoring's part of an evaluation (docs/rules.md, "Annual monitoring"): the standard's verdicts, and
the warnings they raise in the run-up to the renewal review, the plan targets' and the inconsistent growth
figures'. Pure; the engine calls ``monitoring`` once per evaluation.

- ``standard_unmet`` (risk) and ``standard_no_data`` (notice), one per item, from the opening of the review's
  application window (``[validity] application_window_months``), or 12 months before the last day in force where
  the pack has none, until the review's result is recorded (a pass starts a new period, whose run-up begins 12
  months before its own last day; a fail ends it). They cite the item's article and the review's ("附件 一；第十五条").
  A regime without a validity has no review, and its items raise nothing (their verdicts are still shown); nor
  does a cluster none of whose items has a figure to compare (annual monitoring has not begun for it in the tool:
  a notice for each of its items, to its operator, would say only that).
- ``indicator_inconsistent`` (notice) whenever two figures of one average growth differ by more than 1 point.
- ``plan_target_behind`` / ``plan_target_missed`` (risk) as monitor/rules/targets.py says, citing the review's
  article (第十五条 re-checks "三年发展规划目标完成情况").
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from monitor.rules.dates import add_months
from monitor.rules.facts import Facts
from monitor.rules.packs import Pack
from monitor.rules.standards import Inconsistency, figured, measured, series
from monitor.rules.states import Severity, StandardState
from monitor.rules.targets import number, plan_alerts
from monitor.rules.verdict import Alert, Measured, StandardVerdict

_new = tuple.__new__     # skips Alert's Python-level __new__ (its fields all given)

#: months before the last day in force the run-up to the review begins, where the pack sets no application window
RUN_UP_MONTHS = 12


def run_up_opens(pack: Pack, valid_until: dt.date) -> dt.date:
    """The first day standard warnings are raised for the review of the period ending ``valid_until``."""
    months = pack.validity.application_window_months if pack.validity is not None else None
    return _months_before(valid_until, months or RUN_UP_MONTHS)


@lru_cache(maxsize=4096)
def _months_before(valid_until: dt.date, months: int) -> dt.date:
    """(relativedelta is slow, and this runs for every cluster with a standard: last days in force repeat)"""
    return add_months(valid_until + dt.timedelta(days=1), -months)


def figures(measured: Measured) -> str:
    """What an alternative compared, as one line: "2023 38；2024 41；2025 45" or "growth 9.5"."""
    return "；".join(f"{key} {number(value)}" for key, value in measured.values)


def _said(verdict: StandardVerdict) -> tuple[tuple[str, object], ...]:
    shown = [figures(m) for m in verdict.alternatives if m.values]
    missing = sorted({year for m in verdict.alternatives for year in m.missing})
    return (("item", verdict.item), ("label", verdict.label), ("figures", " | ".join(shown) or "—"),
            ("missing", "、".join(map(str, missing)) or "—"))


def _inconsistent(found: Inconsistency, basis: str) -> Alert:
    return _new(Alert, ("indicator_inconsistent", Severity.NOTICE, basis,
                        f"indicator_inconsistent:{found.item}:{found.indicator}:{found.year}",
                        (("item", found.item), ("indicator", found.indicator), ("year", found.year),
                         ("used", found.used[0]), ("used_value", number(found.used[1])),
                         ("other", found.other[0]), ("other_value", number(found.other[1]))), None, None, None))


def monitoring(pack: Pack, facts: Facts, as_of: dt.date, valid_until: dt.date | None, result_on: dt.date | None,
               margin: float) -> tuple[tuple[StandardVerdict, ...], list[Alert]]:
    """The standard's verdicts as of ``as_of`` and the warnings of annual monitoring. ``valid_until`` and
    ``result_on`` are the current validity period's last day and its review's result day (None: none yet)."""
    if not pack.standard and not facts.targets:
        return (), []
    data = series(facts.indicators, as_of)
    review_basis = (pack.validity.review_basis or pack.validity.basis) if pack.validity is not None else None
    inconsistent: list[Inconsistency] = []
    standards = measured(pack.standard, data, as_of, inconsistent)
    alerts: list[Alert] = []
    # a cluster with no figure recorded at all (its monitoring has not begun in the tool) is not warned item by item
    run_up = (figured(standards) and valid_until is not None and run_up_opens(pack, valid_until) <= as_of
              and (result_on is None or result_on > as_of))
    if run_up:
        for verdict in standards:
            state = verdict.state
            if state is StandardState.MET:
                continue
            unmet = state is StandardState.UNMET
            alerts.append(_new(Alert, ("standard_unmet" if unmet else "standard_no_data",
                                       Severity.RISK if unmet else Severity.NOTICE, f"{verdict.basis}；{review_basis}",
                                       f"standard_{state}:{verdict.item}:{valid_until}", _said(verdict), None, None,
                                       None)))
    if inconsistent:
        basis_of = {item.id: item.basis for item in pack.standard}
        alerts += [_inconsistent(found, basis_of[found.item]) for found in inconsistent]
    if facts.targets:
        alerts += plan_alerts(facts.targets, data, margin, review_basis or "—")
    return standards, alerts
