from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.rules.dates import add_months, add_years, default_valid_until, month_day, parse_date
from tests.conftest import d


@pytest.mark.parametrize(("text", "expected"), [
    ("2023-10-15", "2023-10-15"),
    ("2023/10/15", "2023-10-15"),
    ("2023-1-5", "2023-01-05"),
    ("2023年10月15日", "2023-10-15"),
    ("2023年1月5日", "2023-01-05"),
    (" 2024-02-29 ", "2024-02-29"),
    (45214, "2023-10-15"),           # an Excel serial
    ("45214", "2023-10-15"),         # an Excel serial that went through a CSV
    (dt.datetime(2023, 10, 15, 8, 0), "2023-10-15"),
])
def test_parse_date_accepts(text: object, expected: str) -> None:
    assert parse_date(text) == d(expected)


@pytest.mark.parametrize("text", ["2025-02-30", "2023-13-01", "15/10/2023", "", "tomorrow", "2023年2月30日", 1.5, True])
def test_parse_date_refuses_with_the_value_named(text: object) -> None:
    with pytest.raises(ValueError, match="not a date"):
        parse_date(text)


@pytest.mark.parametrize(("start", "months", "expected"), [
    ("2025-01-31", 1, "2025-02-28"),
    ("2024-01-31", 1, "2024-02-29"),
    ("2025-03-31", 1, "2025-04-30"),
    ("2025-12-15", 1, "2026-01-15"),
])
def test_add_months_clamps_to_month_end(start: str, months: int, expected: str) -> None:
    assert add_months(d(start), months) == d(expected)


@pytest.mark.parametrize(("certified", "expected"), [
    ("2023-07-10", "2026-07-09"),
    ("2024-02-29", "2027-02-28"),
    ("2024-03-01", "2027-02-28"),
    ("2023-01-01", "2025-12-31"),
])
def test_default_valid_until(certified: str, expected: str) -> None:
    assert default_valid_until(d(certified), 3) == d(expected)


def test_add_years_from_leap_day() -> None:
    assert add_years(d("2024-02-29"), 3) == d("2027-02-28")
    assert add_years(d("2024-02-29"), 4) == d("2028-02-29")


def test_month_day_refuses_days_not_every_year_has() -> None:
    assert month_day("04-30") == (4, 30)
    with pytest.raises(ValueError, match="not a day every year has"):
        month_day("02-29")
    with pytest.raises(ValueError, match="not a month-day"):
        month_day("4-30")


dates = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2090, 12, 31))


@given(dates, st.integers(min_value=1, max_value=36))
def test_add_months_lands_in_the_right_month_never_past_the_day(day: dt.date, months: int) -> None:
    result = add_months(day, months)
    assert (result.year * 12 + result.month) - (day.year * 12 + day.month) == months
    assert result.day <= day.day
    assert result.day == day.day or (result + dt.timedelta(days=1)).day == 1  # clamped only at a month end


@given(dates)
def test_valid_until_is_the_day_before_the_anniversary(day: dt.date) -> None:
    last = default_valid_until(day, 3)
    anniversary = add_years(day, 3)
    # docs/rules.md: 2024-02-29 gives 2027-02-28, the clamped anniversary itself; any other day ends the day before it
    assert last < anniversary or ((day.month, day.day) == (2, 29) and last == anniversary)
    assert (anniversary - last).days <= 2  # 1, or 2 only around a leap day
    assert last.year == day.year + 3 or (day.month, day.day) == (1, 1)


@given(dates)
def test_iso_and_chinese_spellings_agree(day: dt.date) -> None:
    assert parse_date(day.isoformat()) == day
    assert parse_date(f"{day.year}年{day.month}月{day.day}日") == day
