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
from collections.abc import Iterable, Mapping
from typing import NamedTuple

from monitor.rules.facts import IndicatorValue
from monitor.rules.standard_items import COMPARISONS, Comparison, StandardItem
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


def holds(value: float, comparison: str, threshold: float) -> bool:
    if comparison == ">=":
        return value >= threshold
    if comparison == ">":
        return value > threshold
    return value <= threshold


def _sum(data: Series, codes: tuple[str, ...], year: int) -> float | None:
    """The sum of the codes' values in ``year``; None unless each is recorded."""
    total = 0.0
    for code in codes:
        value = data.get(code, {}).get(year)
        if value is None:
            return None
        total += value
    return round(total, 9)


def _figures(data: Series, comparison: Comparison, year: int, total: float) -> list[tuple[str, float]]:
    """A year's figure, and each part of a sum beside it."""
    parts = comparison.codes
    if len(parts) == 1:
        return [(str(year), total)]
    return [*((f"{code} {year}", data[code][year]) for code in parts), (str(year), total)]


def _each_year(comparison: Comparison, data: Series, years: tuple[int, ...]) -> Measured:
    values: list[tuple[str, float]] = []
    missing: list[int] = []
    met = True
    for year in years:
        total = _sum(data, comparison.codes, year)
        if total is None:
            missing.append(year)
            continue
        values += _figures(data, comparison, year, total)
        met = met and holds(total, comparison.comparison, comparison.threshold)
    state = StandardState.NO_DATA if missing and met else (StandardState.MET if met else StandardState.UNMET)
    return _measured(comparison, state, values, missing)


def _latest(comparison: Comparison, data: Series, years: tuple[int, ...]) -> Measured:
    for year in reversed(years):
        total = _sum(data, comparison.codes, year)
        if total is not None:
            state = StandardState.MET if holds(total, comparison.comparison, comparison.threshold) else StandardState.UNMET
            return _measured(comparison, state, _figures(data, comparison, year, total), [])
    return _measured(comparison, StandardState.NO_DATA, [], list(years))


_new = tuple.__new__     # skips a NamedTuple's Python-level __new__: this runs for every item of every cluster


def _measured(comparison: Comparison, state: StandardState, values: list[tuple[str, float]], missing: list[int],
              growth: str | None = None) -> Measured:
    return _new(Measured, (comparison.indicator, COMPARISONS[comparison.word], comparison.threshold, comparison.window,
                           state, tuple(values), tuple(missing), growth))


def _growth(comparison: Comparison, data: Series, years: tuple[int, ...]
            ) -> tuple[list[tuple[str, list[tuple[str, float]], float]], list[int]]:
    """Every figure of the average growth there is, in the order they are preferred: (how, the values it came
    from, the growth in %), and the years of the values' series that are missing."""
    first, last = years[0] - 1, years[-1]
    code = comparison.indicator
    found: list[tuple[str, list[tuple[str, float]], float]] = []
    missing: list[int] = []
    if comparison.rates != code:        # an indicator that is itself the yearly rate has no values to grow
        own = data.get(code, {})
        start, end = own.get(first), own.get(last)
        missing = [year for year, value in ((first, start), (last, end)) if value is None]
        if start is not None and end is not None and start > 0 and end >= 0:
            rate = ((end / start) ** (1 / len(years)) - 1) * 100
            found.append(("computed", [(str(first), start), (str(last), end)], round(rate, GROWTH_PLACES)))
    if comparison.rates is not None:
        rates = data.get(comparison.rates, {})
        yearly = [rates.get(year) for year in years]
        if comparison.rates == code:
            missing = [year for year, value in zip(years, yearly, strict=True) if value is None]
        if all(value is not None and value > -100 for value in yearly):
            product = math.prod(1 + value / 100 for value in yearly if value is not None)
            rate = (product ** (1 / len(years)) - 1) * 100
            shown = [(str(year) if comparison.rates == code else f"{comparison.rates} {year}", value)
                     for year, value in zip(years, yearly, strict=True) if value is not None]
            found.append(("rates", shown, round(rate, GROWTH_PLACES)))
    if comparison.reported is not None:
        reported = data.get(comparison.reported, {}).get(last)
        if reported is not None:
            found.append(("reported", [(f"{comparison.reported} {last}", reported)], reported))
    return found, missing


def _average_growth(item: StandardItem, comparison: Comparison, data: Series, years: tuple[int, ...],
                    inconsistent: list[Inconsistency]) -> Measured:
    found, missing = _growth(comparison, data, years)
    if not found:
        # nothing missing, yet no figure: a base value of 0 cannot be grown from (its year is named)
        return _measured(comparison, StandardState.NO_DATA, [], missing or [years[0] - 1])
    how, values, rate = found[0]
    for other_how, _, other in found[1:]:
        if abs(other - rate) > INCONSISTENT_ABOVE:
            inconsistent.append(Inconsistency(item.id, comparison.indicator, (how, rate), (other_how, other), years[-1]))
    state = StandardState.MET if holds(rate, comparison.comparison, comparison.threshold) else StandardState.UNMET
    return _measured(comparison, state, [*values, ("growth", rate)], [],
                     "reported" if how == "reported" else "computed")


def measure(item: StandardItem, data: Series, as_of: dt.date,
            inconsistent: list[Inconsistency] | None = None) -> StandardVerdict:
    """One item's verdict: met when any comparison is met; else no_data when any has no data; else unmet."""
    years = window(as_of)
    found = inconsistent if inconsistent is not None else []
    alternatives: list[Measured] = []
    for comparison in item.compare:
        if comparison.window == "each_year":
            alternatives.append(_each_year(comparison, data, years))
        elif comparison.window == "latest":
            alternatives.append(_latest(comparison, data, years))
        else:
            alternatives.append(_average_growth(item, comparison, data, years, found))
    states = [m.state for m in alternatives]
    state = (StandardState.MET if StandardState.MET in states
             else StandardState.NO_DATA if StandardState.NO_DATA in states else StandardState.UNMET)
    return _new(StandardVerdict, (item.id, item.label, item.basis, state, tuple(alternatives)))


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
