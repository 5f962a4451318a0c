"""Annual monitoring's verdicts (docs/rules.md, "Annual monitoring"; monitor/rules/standards.py): each threshold word
at, just under and just over its number; each window; the alternatives (或); the properties a verdict keeps."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.rules.facts import IndicatorValue
from monitor.rules.standard_items import COMPARISONS, Comparison, StandardItem
from monitor.rules.standards import measure, series, verdicts, window
from monitor.rules.states import StandardState

MET, UNMET, NO_DATA = StandardState.MET, StandardState.UNMET, StandardState.NO_DATA
AS_OF = dt.date(2026, 5, 10)        # 近三年: 2023, 2024, 2025


def item(*compare: Comparison, ident: str = "x") -> StandardItem:
    return StandardItem(id=ident, label="…", basis="第五条", compare=compare)


def latest(code: str, word: str, threshold: float) -> Comparison:
    return Comparison(indicator=code, word=word, threshold=threshold, window="latest")  # type: ignore[arg-type]


def values(*rows: tuple[int, str, float]) -> list[IndicatorValue]:
    return [IndicatorValue(year, code, value) for year, code, value in rows]


def judge(comparison: Comparison, rows: list[IndicatorValue], as_of: dt.date = AS_OF) -> StandardState:
    return measure(item(comparison), series(rows, as_of), as_of).state


def test_window_is_the_three_years_before_the_evaluations_year() -> None:
    assert window(dt.date(2026, 5, 10)) == (2023, 2024, 2025)
    assert window(dt.date(2026, 1, 1)) == (2023, 2024, 2025)
    assert window(dt.date(2025, 12, 31)) == (2022, 2023, 2024)


# --- each threshold word at, just under and just over its number (民法典 第一千二百五十九条) ------------------------
#: word → (at, just under, just over): 以上/不低于/不少于 include the number; 高于/超过 do not; 不超过/以内/以下 include it
WORDS = {
    "以上": (MET, UNMET, MET),
    "不低于": (MET, UNMET, MET),
    "不少于": (MET, UNMET, MET),
    "高于": (UNMET, UNMET, MET),
    "超过": (UNMET, UNMET, MET),
    "不超过": (MET, MET, UNMET),
    "以内": (MET, MET, UNMET),
    "以下": (MET, MET, UNMET),
}


def test_every_word_is_in_the_table() -> None:
    assert set(WORDS) == set(COMPARISONS)


@pytest.mark.parametrize("word", sorted(WORDS))
@pytest.mark.parametrize(("where", "value"), [("at", 70.0), ("under", 69.99), ("over", 70.01)])
def test_threshold_word(word: str, where: str, value: float) -> None:
    expected = dict(zip(("at", "under", "over"), WORDS[word], strict=True))[where]
    assert judge(latest("sme_output_share", word, 70), values((2025, "sme_output_share", value))) is expected


@pytest.mark.parametrize(("word", "count", "expected"), [
    ("不少于", 1, MET), ("不少于", 0, UNMET), ("以上", 2, MET), ("以上", 1, UNMET), ("超过", 2, UNMET), ("超过", 3, MET)])
def test_counts_are_compared_whole(word: str, count: int, expected: StandardState) -> None:
    threshold = 1 if word == "不少于" else 2
    assert judge(latest("champions", word, threshold), values((2025, "champions", count))) is expected


# --- windows ------------------------------------------------------------------------------------------------------
EACH = Comparison(indicator="output", word="以上", threshold=40, window="each_year")


@pytest.mark.parametrize(("yearly", "expected", "missing"), [
    ((40, 41, 42), MET, ()),                # each ≥ 40, the first exactly at it
    ((39.99, 41, 42), UNMET, ()),           # one year under
    ((41, 42, 39), UNMET, ()),
    ((41, None, 42), NO_DATA, (2024,)),     # a year missing, the others met
    ((41, None, 39), UNMET, (2024,)),       # a year missing, another unmet: unmet whatever the missing one is
    ((None, None, None), NO_DATA, (2023, 2024, 2025)),
])
def test_each_year(yearly: tuple[float | None, ...], expected: StandardState, missing: tuple[int, ...]) -> None:
    rows = [IndicatorValue(year, "output", v) for year, v in zip((2023, 2024, 2025), yearly, strict=True) if v is not None]
    found = measure(item(EACH), series(rows, AS_OF), AS_OF).alternatives[0]
    assert (found.state, found.missing) == (expected, missing)
    assert found.values == tuple((str(y), float(v)) for y, v in zip((2023, 2024, 2025), yearly, strict=True)
                                 if v is not None)


def test_each_year_ignores_years_outside_the_window() -> None:
    rows = values((2022, "output", 10), (2023, "output", 40), (2024, "output", 40), (2025, "output", 40),
                  (2026, "output", 1))
    assert judge(EACH, rows) is MET


GROWTH = Comparison(indicator="output", word="高于", threshold=10, window="average_growth")
PATENTS = Comparison(indicator="patents", word="不低于", threshold=15, window="average_growth", rates="patent_growth")
LEADING = Comparison(indicator="leading_output", word="不低于", threshold=5, window="average_growth",
                     reported="leading_growth_3y")
RD = Comparison(indicator="rd_growth", word="高于", threshold=10, window="average_growth", rates="rd_growth")


@pytest.mark.parametrize(("start", "end", "expected", "growth"), [
    (100, 133.1, UNMET, 10.0),          # (133.1/100)^(1/3) - 1 = 10% exactly: 高于 is not met
    (100, 133.2, MET, 10.0275),         # just over: 1.1 + 0.001 / (3 × 1.21)
    (100, 133.0, UNMET, 9.9724),        # just under
])
def test_growth_from_four_values(start: float, end: float, expected: StandardState, growth: float) -> None:
    rows = values((2022, "output", start), (2023, "output", 1), (2024, "output", 1), (2025, "output", end))
    found = measure(item(GROWTH), series(rows, AS_OF), AS_OF).alternatives[0]
    assert found.state is expected
    assert found.growth == "computed"
    assert dict(found.values) == {"2022": start, "2025": end, "growth": pytest.approx(growth, abs=5e-4)}


@pytest.mark.parametrize(("rates", "expected"), [
    ((15, 15, 15), MET),                  # exactly 15 each year: 不低于 is met
    ((10, 20, 15.0), UNMET),              # arithmetic mean 15, geometric 14.92: not met
    ((14.9, 15, 15.2), MET),              # geometric 15.033
])
def test_growth_from_three_rates(rates: tuple[float, float, float], expected: StandardState) -> None:
    rows = [IndicatorValue(year, "patent_growth", r) for year, r in zip((2023, 2024, 2025), rates, strict=True)]
    found = measure(item(PATENTS), series(rows, AS_OF), AS_OF).alternatives[0]
    assert (found.state, found.growth) == (expected, "computed")
    assert [key for key, _ in found.values] == ["patent_growth 2023", "patent_growth 2024", "patent_growth 2025",
                                                "growth"]


def test_a_rate_indicator_is_its_own_series() -> None:
    rows = values((2023, "rd_growth", 10), (2024, "rd_growth", 10), (2025, "rd_growth", 10.1))
    found = measure(item(RD), series(rows, AS_OF), AS_OF).alternatives[0]
    assert (found.state, found.growth) == (MET, "computed")
    assert dict(found.values)["2023"] == 10
    rows = values((2023, "rd_growth", 10), (2025, "rd_growth", 10.1))
    found = measure(item(RD), series(rows, AS_OF), AS_OF).alternatives[0]
    assert (found.state, found.missing) == (NO_DATA, (2024,))


@pytest.mark.parametrize(("reported", "expected"), [(5.0, MET), (4.99, UNMET), (5.01, MET)])
def test_growth_reported(reported: float, expected: StandardState) -> None:
    found = measure(item(LEADING), series(values((2025, "leading_growth_3y", reported)), AS_OF), AS_OF).alternatives[0]
    assert (found.state, found.growth) == (expected, "reported")


def test_growth_with_a_missing_year_is_no_data_naming_it() -> None:
    rows = values((2023, "output", 50), (2024, "output", 60), (2025, "output", 70))      # 2022 missing
    found = measure(item(GROWTH), series(rows, AS_OF), AS_OF).alternatives[0]
    assert (found.state, found.missing, found.values) == (NO_DATA, (2022,), ())


def test_a_base_of_zero_cannot_be_grown_from() -> None:
    rows = values((2022, "output", 0), (2025, "output", 70))
    found = measure(item(GROWTH), series(rows, AS_OF), AS_OF).alternatives[0]
    assert (found.state, found.missing) == (NO_DATA, (2022,))


def test_values_come_before_rates_and_rates_before_the_reported_figure() -> None:
    rows = values((2022, "leading_output", 100), (2025, "leading_output", 115.7625), (2025, "leading_growth_3y", 9))
    data = series(rows, AS_OF)
    inconsistent: list = []
    found = measure(item(LEADING), data, AS_OF, inconsistent).alternatives[0]
    assert (found.state, found.growth, dict(found.values)["growth"]) == (MET, "computed", 5.0)
    assert len(inconsistent) == 1 and inconsistent[0].other == ("reported", 9.0)


@pytest.mark.parametrize(("reported", "flagged"), [(6.0, False), (6.01, True), (3.99, True), (4.0, False)])
def test_indicator_inconsistent_above_one_point(reported: float, flagged: bool) -> None:
    rows = values((2022, "leading_output", 100), (2025, "leading_output", 115.7625), (2025, "leading_growth_3y", reported))
    _, found = verdicts([item(LEADING)], rows, AS_OF)
    assert bool(found) is flagged


# --- sums and alternatives (或) ---------------------------------------------------------------------------------------
ENTERPRISES = item(latest("champions+little_giants", "不少于", 1), latest("specialised_smes+high_tech", "不少于", 10))


@pytest.mark.parametrize(("rows", "expected"), [
    (((2025, "champions", 0), (2025, "little_giants", 1)), MET),
    (((2025, "champions", 0), (2025, "little_giants", 0), (2025, "specialised_smes", 6), (2025, "high_tech", 4)), MET),
    (((2025, "champions", 0), (2025, "little_giants", 0), (2025, "specialised_smes", 6), (2025, "high_tech", 3)), UNMET),
    (((2025, "champions", 0), (2025, "little_giants", 0), (2025, "specialised_smes", 6)), NO_DATA),
    (((2025, "champions", 1),), NO_DATA),       # a sum needs each of its parts in the year
])
def test_sum_and_alternatives(rows: tuple[tuple[int, str, float], ...], expected: StandardState) -> None:
    assert measure(ENTERPRISES, series(values(*rows), AS_OF), AS_OF).state is expected


def test_latest_is_the_latest_year_of_the_window_with_a_value() -> None:
    rows = values((2022, "iiot_share", 99), (2024, "iiot_share", 14), (2023, "iiot_share", 20))
    found = measure(item(latest("iiot_share", "不低于", 15)), series(rows, AS_OF), AS_OF).alternatives[0]
    assert (found.state, found.values) == (UNMET, (("2024", 14.0),))
    only_old = values((2022, "iiot_share", 99))
    found = measure(item(latest("iiot_share", "不低于", 15)), series(only_old, AS_OF), AS_OF).alternatives[0]
    assert (found.state, found.missing) == (NO_DATA, (2023, 2024, 2025))


# --- properties ---------------------------------------------------------------------------------------------------
CODES = ("output", "sme_output_share", "champions", "little_giants", "patents", "patent_growth", "leading_output",
         "leading_growth_3y")
ITEMS = [item(EACH, ident="each"), item(GROWTH, ident="growth"), item(PATENTS, ident="patents"),
         item(LEADING, ident="leading"), ENTERPRISES,
         item(latest("sme_output_share", "以上", 70), ident="share")]
value_rows = st.lists(st.tuples(st.integers(2019, 2028), st.sampled_from(CODES),
                                st.floats(0.5, 500, allow_nan=False)), max_size=30)


@settings(max_examples=200, deadline=None)
@given(value_rows, value_rows, st.dates(dt.date(2022, 1, 1), dt.date(2028, 12, 31)))
def test_recording_a_later_year_never_changes_an_earlier_verdict(
        rows: list[tuple[int, str, float]], later: list[tuple[int, str, float]], as_of: dt.date) -> None:
    before = {(y, c): v for y, c, v in rows}
    after = dict(before)
    after.update({(y, c): v for y, c, v in later if y >= as_of.year})     # this year's or later: not yet read
    first = verdicts(ITEMS, [IndicatorValue(y, c, v) for (y, c), v in before.items()], as_of)
    second = verdicts(ITEMS, [IndicatorValue(y, c, v) for (y, c), v in after.items()], as_of)
    assert first == second


#: ≥ and > items over levels and sums (each year, latest)
MONOTONE = [item(EACH, ident="each"), ENTERPRISES, item(latest("sme_output_share", "以上", 70), ident="share"),
            item(latest("output", "高于", 40), ident="above")]


@settings(max_examples=200, deadline=None)
@given(value_rows, st.floats(1.0001, 10, allow_nan=False))
def test_scaling_the_values_of_a_greater_than_item_never_turns_met_into_unmet(
        rows: list[tuple[int, str, float]], factor: float) -> None:
    data = {(y, c): v for y, c, v in rows}
    first, _ = verdicts(MONOTONE, [IndicatorValue(y, c, v) for (y, c), v in data.items()], AS_OF)
    second, _ = verdicts(MONOTONE, [IndicatorValue(y, c, v * factor) for (y, c), v in data.items()], AS_OF)
    for one, two in zip(first, second, strict=True):
        assert not (one.state is MET and two.state is UNMET), (one, two)
