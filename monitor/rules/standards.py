"""Annual monitoring's verdicts (docs/rules.md, "Annual monitoring"): each item of a regime's standard (a pack's
``[[standard]]``) met, unmet or without data, as a pure function of the indicator values and the evaluation date.

An evaluation as of D reads only the years before D's year. **近三年** is the three calendar years before D's
year (as of 2026-05-10: 2023, 2024, 2025); **latest** is the latest of those three with a value (a value of 2022
is too old to stand for the cluster now; one of 2026 is not yet a whole year's). An average annual growth is
geometric: from the values of the year before the window and of its last year, (V₂₀₂₅ / V₂₀₂₂)^(1/3) − 1; else
from the three yearly rates of the item's ``rates`` indicator, ((1+g₁)(1+g₂)(1+g₃))^(1/3) − 1; else the figure the
report gives (``reported``, the window's last year). A computed growth is rounded to 4 decimal places of a percent
before it is compared, so values whose growth is exactly 10% compare as 10. Where two of those figures exist and
differ by more than 1 percentage point the item says so (an Inconsistency: the notice ``indicator_inconsistent``).
"""

from __future__ import annotations

import datetime as dt
import math
import operator
from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple

from monitor.rules.facts import IndicatorValue
from monitor.rules.standard_items import COMPARISONS, StandardItem
from monitor.rules.states import StandardState
from monitor.rules.verdict import Measured, StandardVerdict

#: decimal places (of a percent) a computed growth is rounded to before it is compared
GROWTH_PLACES = 4
#: how far (percentage points) a computed and another figure of the same growth may differ
INCONSISTENT_ABOVE = 1.0

Series = Mapping[str, Mapping[int, float]]


class Inconsistency(NamedTuple):
    """Two figures of one average growth more than INCONSISTENT_ABOVE points apart."""
    item: str
    indicator: str
    used: tuple[str, float]         # ("computed", 10.4): the figure compared
    other: tuple[str, float]        # ("reported", 12.0) or ("rates", 8.9)
    year: int                       # the window's last year


def series(indicators: Iterable[IndicatorValue], as_of: dt.date) -> dict[str, dict[int, float]]:
    """The values an evaluation as of ``as_of`` reads, by code and year: only years before ``as_of``'s year (this
    runs for every cluster of a regime with a standard: kept to one dictionary lookup a value)."""
    found: dict[str, dict[int, float]] = {}
    before = as_of.year
    for year, code, value in indicators:
        if year < before:
            years = found.get(code)
            if years is None:
                found[code] = {year: value}
            else:
                years[year] = value
    return found


def window(as_of: dt.date) -> tuple[int, int, int]:
    """近三年: the three calendar years before ``as_of``'s year."""
    year = as_of.year
    return year - 3, year - 2, year - 1


#: each comparison as a function of (value, threshold)
_TESTS: dict[str, Callable[[float, float], bool]] = {">=": operator.ge, ">": operator.gt, "<=": operator.le}
_NONE: dict[int, float] = {}


class _Compare(NamedTuple):
    """One comparison as an evaluation reads it, worked out once per pack's standard (``_plan``), not per cluster."""
    codes: tuple[str, ...]                  # the indicators summed (one, most often)
    test: Callable[[float, float], bool]    # the threshold word's comparison
    threshold: float
    head: tuple[str, str, float, str]       # its Measured's first fields: indicator, comparison, threshold, window
    indicator: str
    rates: str | None
    reported: str | None


class _Item(NamedTuple):
    head: tuple[str, str, str]              # its StandardVerdict's first fields: id, label, basis
    compare: tuple[tuple[_Compare, Window], ...]    # each comparison with its window's function


def _compiled(item: StandardItem) -> _Item:
    compare = []
    for c in item.compare:
        word = COMPARISONS[c.word]
        compare.append((_Compare(c.codes, _TESTS[word], c.threshold, (c.indicator, word, c.threshold, c.window),
                                 c.indicator, c.rates, c.reported), _WINDOWS[c.window]))
    return _Item((item.id, item.label, item.basis), tuple(compare))


#: the standards worked out, by the identity of a pack's tuple of items (kept, so that the identity stays its own),
#: and their verdicts where nothing is recorded, by window
_plans: dict[int, tuple[tuple[StandardItem, ...], tuple[_Item, ...], dict[tuple[int, ...], tuple[StandardVerdict, ...]]]] = {}


def _plan(items: tuple[StandardItem, ...]
          ) -> tuple[tuple[StandardItem, ...], tuple[_Item, ...], dict[tuple[int, ...], tuple[StandardVerdict, ...]]]:
    kept = _plans.get(id(items))
    if kept is None or kept[0] is not items:
        if len(_plans) >= 64:       # packs are few; tests make many
            _plans.clear()
        kept = _plans[id(items)] = (items, tuple(map(_compiled, items)), {})
    return kept


def _total(data: Series, codes: tuple[str, ...], year: int) -> float | None:
    """The sum of the codes' values in ``year``; None unless each is recorded."""
    total = 0.0
    for code in codes:
        value = data.get(code, _NONE).get(year)
        if value is None:
            return None
        total += value
    return round(total, 9)


def _figures(data: Series, codes: tuple[str, ...], year: int, total: float) -> list[tuple[str, float]]:
    """A year's figure, and each part of a sum beside it."""
    if len(codes) == 1:
        return [(str(year), total)]
    shown = [(f"{code} {year}", data[code][year]) for code in codes]
    shown.append((str(year), total))
    return shown


_new = tuple.__new__     # skips a NamedTuple's Python-level __new__: this runs for every item of every cluster
MET, UNMET, NO_DATA = StandardState.MET, StandardState.UNMET, StandardState.NO_DATA


def _each_year(c: _Compare, data: Series, years: tuple[int, ...], item: str, found: list[Inconsistency]) -> Measured:
    values: list[tuple[str, float]] = []
    missing: list[int] = []
    met = True
    codes, test, threshold = c.codes, c.test, c.threshold
    if len(codes) == 1:
        own = data.get(codes[0], _NONE)
        for year in years:
            value = own.get(year)
            if value is None:
                missing.append(year)
                continue
            total = round(0.0 + value, 9)
            values.append((str(year), total))
            met = met and test(total, threshold)
    else:
        for year in years:
            sum_ = _total(data, codes, year)
            if sum_ is None:
                missing.append(year)
                continue
            values += _figures(data, codes, year, sum_)
            met = met and test(sum_, threshold)
    state = NO_DATA if missing and met else (MET if met else UNMET)
    return _new(Measured, (*c.head, state, tuple(values), tuple(missing), None))


def _latest(c: _Compare, data: Series, years: tuple[int, ...], item: str, found: list[Inconsistency]) -> Measured:
    codes = c.codes
    if len(codes) == 1:
        own = data.get(codes[0])
        if own is not None:
            for year in reversed(years):
                value = own.get(year)
                if value is not None:
                    total = round(0.0 + value, 9)
                    return _new(Measured, (*c.head, MET if c.test(total, c.threshold) else UNMET,
                                           ((str(year), total),), (), None))
        return _new(Measured, (*c.head, NO_DATA, (), years, None))
    for year in reversed(years):
        sum_ = _total(data, codes, year)
        if sum_ is not None:
            state = MET if c.test(sum_, c.threshold) else UNMET
            return _new(Measured, (*c.head, state, tuple(_figures(data, codes, year, sum_)), (), None))
    return _new(Measured, (*c.head, NO_DATA, (), years, None))


def _growth(c: _Compare, data: Series, years: tuple[int, ...]
            ) -> tuple[list[tuple[str, list[tuple[str, float]], float]], list[int]]:
    """Every figure of the average growth there is, in the order they are preferred: (how, the values it came
    from, the growth in %), and the years of the values' series that are missing."""
    first, last = years[0] - 1, years[-1]
    code, rates_code = c.indicator, c.rates
    found: list[tuple[str, list[tuple[str, float]], float]] = []
    missing: list[int] = []
    if rates_code != code:        # an indicator that is itself the yearly rate has no values to grow
        own = data.get(code, _NONE)
        start, end = own.get(first), own.get(last)
        if start is None:
            missing.append(first)
        if end is None:
            missing.append(last)
        if start is not None and end is not None and start > 0 and end >= 0:
            rate = ((end / start) ** (1 / len(years)) - 1) * 100
            found.append(("computed", [(str(first), start), (str(last), end)], round(rate, GROWTH_PLACES)))
    if rates_code is not None:
        rates = data.get(rates_code, _NONE)
        own_rates = rates_code == code
        complete = True             # each year's rate recorded, and above -100%
        shown: list[tuple[str, float]] = []
        factors: list[float] = []
        gaps: list[int] = []
        for year in years:
            value = rates.get(year)
            if value is None:
                complete = False
                gaps.append(year)
                continue
            if not value > -100:
                complete = False
            shown.append((str(year) if own_rates else f"{rates_code} {year}", value))
            factors.append(1 + value / 100)
        if own_rates:
            missing = gaps
        if complete:
            rate = (math.prod(factors) ** (1 / len(years)) - 1) * 100
            found.append(("rates", shown, round(rate, GROWTH_PLACES)))
    if c.reported is not None:
        reported = data.get(c.reported, _NONE).get(last)
        if reported is not None:
            found.append(("reported", [(f"{c.reported} {last}", reported)], reported))
    return found, missing


def _average_growth(c: _Compare, data: Series, years: tuple[int, ...], item: str,
                    inconsistent: list[Inconsistency]) -> Measured:
    found, missing = _growth(c, data, years)
    if not found:
        # nothing missing, yet no figure: a base value of 0 cannot be grown from (its year is named)
        return _new(Measured, (*c.head, NO_DATA, (), tuple(missing or [years[0] - 1]), None))
    how, values, rate = found[0]
    for other_how, _, other in found[1:]:
        if abs(other - rate) > INCONSISTENT_ABOVE:
            inconsistent.append(Inconsistency(item, c.indicator, (how, rate), (other_how, other), years[-1]))
    state = MET if c.test(rate, c.threshold) else UNMET
    return _new(Measured, (*c.head, state, (*values, ("growth", rate)), (),
                           "reported" if how == "reported" else "computed"))


Window = Callable[[_Compare, Series, tuple[int, ...], str, list[Inconsistency]], Measured]
_WINDOWS: dict[str, Window] = {"each_year": _each_year, "latest": _latest, "average_growth": _average_growth}


def _measure(planned: _Item, data: Series, years: tuple[int, ...], found: list[Inconsistency]) -> StandardVerdict:
    head, compare = planned
    if len(compare) == 1:
        c, run = compare[0]
        only = run(c, data, years, head[0], found)
        return _new(StandardVerdict, (*head, only.state, (only,)))
    alternatives = tuple([run(c, data, years, head[0], found) for c, run in compare])
    states = [m.state for m in alternatives]
    state = MET if MET in states else NO_DATA if NO_DATA in states else UNMET
    return _new(StandardVerdict, (*head, state, alternatives))


def measure(item: StandardItem, data: Series, as_of: dt.date,
            inconsistent: list[Inconsistency] | None = None) -> StandardVerdict:
    """One item's verdict: met when any comparison is met; else no_data when any has no data; else unmet."""
    return _measure(_compiled(item), data, window(as_of), inconsistent if inconsistent is not None else [])


def measured(items: tuple[StandardItem, ...], data: Series, as_of: dt.date, inconsistent: list[Inconsistency]
             ) -> tuple[StandardVerdict, ...]:
    """Every item's verdict of a pack's standard (``measure`` of each), its items worked out once per pack: this runs
    for every cluster of a regime with a standard. Where nothing is recorded the verdicts are those of every such
    cluster, worked out once per window."""
    years = window(as_of)
    _, plan, unrecorded = _plan(items)
    if not data:
        found = unrecorded.get(years)
        if found is None:
            found = unrecorded[years] = tuple([_measure(planned, data, years, inconsistent) for planned in plan])
        return found
    return tuple([_measure(planned, data, years, inconsistent) for planned in plan])


def verdicts(items: Iterable[StandardItem], indicators: Iterable[IndicatorValue], as_of: dt.date
             ) -> tuple[tuple[StandardVerdict, ...], tuple[Inconsistency, ...]]:
    """Every item's verdict as of ``as_of``, and the growth figures that disagree."""
    data = series(indicators, as_of)
    inconsistent: list[Inconsistency] = []
    return tuple(measure(item, data, as_of, inconsistent) for item in items), tuple(inconsistent)


def figured(standards: Iterable[StandardVerdict]) -> bool:
    """Whether any item compared a figure: without one, annual monitoring has not begun for the cluster in the tool
    (no warning item by item, "—" in status's 达标, nothing in the review's calendar event)."""
    return any(m.values for verdict in standards for m in verdict.alternatives)


def tally(standards: Iterable[StandardVerdict]) -> tuple[int, int]:
    """(items met, items): status's "达标" column, 7/9."""
    met = total = 0
    for verdict in standards:
        total += 1
        met += verdict.state is StandardState.MET
    return met, total
