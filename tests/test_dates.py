from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.rules.dates import add_months, anniversary, default_valid_until, extended, month_day, parse_date
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
    ("2024-02-29", "2027-02-28"),     # the anniversary of a February 29 in a common year is March 1
    ("2024-02-28", "2027-02-27"),
    ("2024-03-01", "2027-02-28"),
    ("2025-02-28", "2028-02-27"),
    ("2025-03-01", "2028-02-29"),     # the day before 2028-03-01, a leap February's last day
    ("2025-03-02", "2028-03-01"),
    ("2022-03-01", "2025-02-28"),
    ("2023-01-01", "2025-12-31"),
])
def test_default_valid_until_is_the_day_before_the_third_anniversary(certified: str, expected: str) -> None:
    assert default_valid_until(d(certified), 3) == d(expected)


@pytest.mark.parametrize(("last", "expected"), [
    ("2026-07-09", "2029-07-09"),
    ("2025-02-27", "2028-02-27"),
    ("2025-02-28", "2028-02-29"),     # the new period starts 2025-03-01
    ("2025-03-01", "2028-03-01"),
    ("2027-02-28", "2030-02-28"),     # starts 2027-03-01
    ("2028-02-28", "2031-02-28"),     # starts 2028-02-29: its anniversary in 2031 is March 1
    ("2028-02-29", "2031-02-28"),     # starts 2028-03-01
    ("2025-12-31", "2028-12-31"),
])
def test_a_passing_review_extends_to_the_day_before_the_new_periods_anniversary(last: str, expected: str) -> None:
    assert extended(d(last), 3) == d(expected)


def test_the_anniversary_of_a_leap_day() -> None:
    assert anniversary(d("2024-02-29"), 3) == d("2027-03-01")
    assert anniversary(d("2024-02-29"), 4) == d("2028-02-29")
    assert anniversary(d("2023-02-28"), 1) == d("2024-02-28")


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


@given(dates, st.integers(min_value=1, max_value=5))
def test_valid_until_is_always_the_day_before_an_anniversary(day: dt.date, years: int) -> None:
    last = default_valid_until(day, years)
    assert last + dt.timedelta(days=1) == anniversary(day, years)
    assert (last + dt.timedelta(days=1)).day == day.day or (day.month, day.day) == (2, 29)
    again = extended(last, years)          # a passing review: the next period, the same way
    assert again + dt.timedelta(days=1) == anniversary(last + dt.timedelta(days=1), years)
    assert again.year == last.year + years or (last.month, last.day) == (2, 28)


@given(dates)
def test_iso_and_chinese_spellings_agree(day: dt.date) -> None:
    assert parse_date(day.isoformat()) == day
    assert parse_date(f"{day.year}年{day.month}月{day.day}日") == day
