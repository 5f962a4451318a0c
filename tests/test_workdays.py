from __future__ import annotations

import datetime as dt

import pytest

from monitor.rules.workdays import (
    STATUTORY_FROM,
    STATUTORY_UNTIL,
    Coverage,
    Holiday,
    WorkCalendar,
    _statutory_year,
    statutory_holiday,
    statutory_holidays,
)
from tests.conftest import d


@pytest.mark.parametrize(("day", "working"), [
    ("2026-09-30", True),
    ("2026-10-01", False),   # National Day
    ("2026-10-07", False),
    ("2026-10-08", True),
    ("2026-09-20", True),    # adjusted working Sunday (调休)
    ("2026-10-10", True),    # adjusted working Saturday
    ("2026-10-11", False),   # an ordinary Sunday
    ("2026-02-14", True),    # Spring Festival: adjusted working Saturday
    ("2026-02-15", False),
    ("2026-02-23", False),
    ("2026-02-24", True),
    ("2026-02-28", True),    # adjusted working Saturday
    ("2026-01-04", True),    # adjusted working Sunday
])
def test_official_2026_calendar(calendar: WorkCalendar, day: str, working: bool) -> None:
    assert calendar.is_workday(d(day)) is working
    assert calendar.coverage(2026) is Coverage.OFFICIAL


@pytest.mark.parametrize(("event", "due"), [
    ("2025-01-31", "2025-02-28"),   # docs/rules.md: a Friday, no move
    ("2026-09-01", "2026-10-08"),   # docs/rules.md: National Day holiday runs 10-01 to 10-07
    ("2026-09-10", "2026-10-10"),   # lands on an adjusted working Saturday: stays
    ("2026-09-11", "2026-10-12"),   # a Sunday: moves to Monday
    ("2026-01-15", "2026-02-24"),   # 02-15 is in the Spring Festival holiday: first working day after
    ("2026-01-14", "2026-02-14"),   # adjusted working Saturday before the holiday: stays
    ("2025-12-31", "2026-02-02"),   # 2026-01-31 is an ordinary Saturday: Monday
])
def test_civil_code_period_end(calendar: WorkCalendar, event: str, due: str) -> None:
    end, coverage = calendar.period_end(d(event), 1)
    assert end == d(due)
    assert coverage is Coverage.OFFICIAL


def test_an_uncovered_year_keeps_its_statutory_holidays_and_says_so(calendar: WorkCalendar) -> None:
    assert calendar.coverage(2031) is Coverage.STATUTORY
    end, coverage = calendar.period_end(d("2031-09-01"), 1)   # 2031-10-01 is a Wednesday: 10-01 to 10-03 off
    assert end == d("2031-10-06")
    assert coverage is Coverage.STATUTORY


@pytest.mark.parametrize("year", [2003, 2100, 2150])
def test_a_year_without_data_or_statutory_list_falls_back_to_weekends(calendar: WorkCalendar, year: int) -> None:
    # before the official data (2004) and the 2024 revision (2025), or past the statutory list's last year (2099)
    assert calendar.coverage(year) is Coverage.WEEKENDS
    assert statutory_holidays(year) == {}
    assert calendar.is_workday(dt.date(year, 10, 1)) is (dt.date(year, 10, 1).weekday() < 5)


def test_config_days_are_used_for_an_uncovered_year() -> None:
    holidays = [d(f"2031-10-0{i}") for i in range(1, 8)]
    calendar = WorkCalendar.load(extra_holidays=holidays, extra_workdays=[d("2031-10-11")])
    assert calendar.coverage(2031) is Coverage.CONFIG
    end, coverage = calendar.period_end(d("2031-09-01"), 1)
    assert (end, coverage) == (d("2031-10-08"), Coverage.CONFIG)
    assert calendar.is_workday(d("2031-10-11"))          # a Saturday made a working day


def test_a_roll_into_an_uncovered_year_reports_the_weaker_coverage(calendar: WorkCalendar) -> None:
    # 2026-12-31 (Thursday) + working days into 2027, which the bundled data does not cover
    day, coverage = calendar.add_workdays(d("2026-12-30"), 5)
    assert coverage is not Coverage.OFFICIAL
    assert day > d("2026-12-31")


@pytest.mark.parametrize(("start", "n", "expected"), [
    ("2026-09-28", 5, "2026-10-10"),   # 09-29, 09-30, 10-08, 10-09, 10-10 (adjusted Saturday)
    ("2026-09-18", 1, "2026-09-20"),   # Friday -> the adjusted working Sunday
    ("2026-02-12", 5, "2026-02-26"),   # 02-13, 02-14 (adjusted Saturday), 02-24, 02-25, 02-26
])
def test_add_workdays(calendar: WorkCalendar, start: str, n: int, expected: str) -> None:
    assert calendar.add_workdays(d(start), n)[0] == d(expected)


def test_add_workdays_refuses_zero(calendar: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        calendar.add_workdays(d("2026-01-05"), 0)


# -- the statutory holidays of 《全国年节及纪念日放假办法》 (2024 revision), in a year the official data lacks ------

@pytest.mark.parametrize(("day", "working", "holiday"), [
    ("2026-12-31", True, None),                      # Thursday, the official 2026 data
    ("2027-01-01", False, Holiday.NEW_YEAR),         # Friday
    ("2027-01-02", False, None),                     # the weekend after it
    ("2027-01-04", True, None),
    ("2027-02-04", True, None),                      # Thursday
    ("2027-02-05", False, Holiday.SPRING_FESTIVAL),  # 除夕 (正月初一 is 2027-02-06)
    ("2027-02-06", False, Holiday.SPRING_FESTIVAL),  # 正月初一, a Saturday
    ("2027-02-08", False, Holiday.SPRING_FESTIVAL),  # 正月初三, a Monday
    ("2027-02-09", True, None),                      # no 调休 known: an ordinary Tuesday
    ("2027-04-02", True, None),
    ("2027-04-05", False, Holiday.QINGMING),         # the solar term, a Monday
    ("2027-04-06", True, None),
    ("2027-04-30", True, None),
    ("2027-05-01", False, Holiday.LABOUR_DAY),
    ("2027-05-02", False, Holiday.LABOUR_DAY),
    ("2027-05-03", True, None),
    ("2027-06-08", True, None),
    ("2027-06-09", False, Holiday.DRAGON_BOAT),      # 五月初五, a Wednesday
    ("2027-06-10", True, None),
    ("2027-09-14", True, None),
    ("2027-09-15", False, Holiday.MID_AUTUMN),       # 八月十五, a Wednesday
    ("2027-09-16", True, None),
    ("2027-09-30", True, None),
    ("2027-10-01", False, Holiday.NATIONAL_DAY),
    ("2027-10-03", False, Holiday.NATIONAL_DAY),
    ("2027-10-04", True, None),
])
def test_2027_statutory_holidays(calendar: WorkCalendar, day: str, working: bool, holiday: Holiday | None) -> None:
    assert calendar.is_workday(d(day)) is working
    assert statutory_holiday(d(day)) is holiday
    assert calendar.coverage(d(day).year) is (Coverage.OFFICIAL if day < "2027" else Coverage.STATUTORY)


@pytest.mark.parametrize(("event", "due"), [
    ("2027-09-01", "2027-10-04"),   # docs/rules.md: 10-01 to 10-03, then the weekend is past
    ("2026-12-01", "2027-01-04"),   # docs/rules.md: 元旦 is a Friday
    ("2027-01-05", "2027-02-09"),   # 除夕 (Friday) to 初三 (Monday)
    ("2027-03-05", "2027-04-06"),   # 清明 on a Monday
    ("2027-04-01", "2027-05-03"),   # May 1 and 2 are a weekend
    ("2027-05-09", "2027-06-10"),   # 端午
    ("2027-08-15", "2027-09-16"),   # 中秋
    ("2027-08-14", "2027-09-14"),   # the day before 中秋: no move
])
def test_period_end_rolls_over_the_statutory_holidays(calendar: WorkCalendar, event: str, due: str) -> None:
    assert calendar.period_end(d(event), 1) == (d(due), Coverage.STATUTORY)


def test_statutory_holidays_agree_with_the_official_2025_and_2026_data() -> None:
    """An independent check of the lunar and solar-term dates: the State Council's own arrangements for 2025 and
    2026 (the bundled data, which names each holiday) hold every statutory day, under the same holiday."""
    import chinese_calendar

    names = {Holiday.NEW_YEAR: "New Year's Day", Holiday.SPRING_FESTIVAL: "Spring Festival",
             Holiday.QINGMING: "Tomb-sweeping Day", Holiday.LABOUR_DAY: "Labour Day",
             Holiday.DRAGON_BOAT: "Dragon Boat Festival", Holiday.MID_AUTUMN: "Mid-autumn Festival",
             Holiday.NATIONAL_DAY: "National Day"}
    for year in (2025, 2026):
        days = statutory_holidays(year)
        assert len(days) == 13
        assert {day: chinese_calendar.holidays.get(day) for day in days} == {day: names[h] for day, h in days.items()}
    # and the festivals whose dates moved with the lunar calendar or the solar terms since 2008 (when 清明, 端午
    # and 中秋 became holidays): each is a rest day of that year's arrangement, named for it (a weekend day
    # inside a holiday is sometimes listed without a name)
    lunar = {Holiday.QINGMING, Holiday.DRAGON_BOAT, Holiday.MID_AUTUMN}
    for year in range(2008, 2025):
        days = _statutory_year(year)
        spring = sorted(day for day, h in days.items() if h is Holiday.SPRING_FESTIVAL)[1:]   # 除夕 since 2025 only
        for day in [*spring, *(day for day, h in days.items() if h in lunar)]:
            named = chinese_calendar.holidays.get(day)
            assert chinese_calendar.is_holiday(day) and named in (names[days[day]], None), (day, named)
            assert named is not None or day.weekday() >= 5, day


def test_every_covered_year_has_its_festivals_where_the_calendar_puts_them() -> None:
    for year in range(STATUTORY_FROM, STATUTORY_UNTIL + 1):
        days = statutory_holidays(year)
        by_holiday: dict[Holiday, list[dt.date]] = {}
        for day, holiday in sorted(days.items()):
            by_holiday.setdefault(holiday, []).append(day)
        spring = by_holiday[Holiday.SPRING_FESTIVAL]
        assert len(spring) == 4 and spring[-1] - spring[0] == dt.timedelta(days=3), year
        assert dt.date(year, 1, 20) <= spring[0] <= dt.date(year, 2, 19), year
        assert by_holiday[Holiday.QINGMING][0] in {dt.date(year, 4, day) for day in (4, 5, 6)}, year
        # 五月初五 and 八月十五 lie 4 (or, after a leap month, 5) and 7 (or 8) lunar months of 29 or 30 days after
        # 正月初一, plus their day of the month
        first = spring[1]
        assert _lunar_offset(by_holiday[Holiday.DRAGON_BOAT][0] - first, months=4, day=5), year
        assert by_holiday[Holiday.LABOUR_DAY] == [dt.date(year, 5, 1), dt.date(year, 5, 2)]
        assert by_holiday[Holiday.NEW_YEAR] == [dt.date(year, 1, 1)]
        national = [dt.date(year, 10, day) for day in (1, 2, 3)]
        autumn = by_holiday.get(Holiday.MID_AUTUMN, [])   # none where 中秋 is itself October 1 to 3
        assert by_holiday[Holiday.NATIONAL_DAY] == national
        assert len(days) == 12 + len(autumn) and len(autumn) <= 1, year
        assert any(_lunar_offset(day - first, months=7, day=15) for day in autumn or national), year


def _lunar_offset(offset: dt.timedelta, months: int, day: int) -> bool:
    return any(29 * n + day - 1 <= offset.days <= 30 * n + day - 1 for n in (months, months + 1))


def test_config_adds_days_to_the_statutory_holidays_but_never_works_one() -> None:
    # a 调休 Sunday and a bridge day configured for 2027; a workday on 国庆 (which App refuses) does not win
    calendar = WorkCalendar.load(extra_holidays=[d("2027-10-04")],
                                 extra_workdays=[d("2027-09-26"), d("2027-10-02")])
    assert calendar.coverage(2027) is Coverage.CONFIG
    assert calendar.is_workday(d("2027-09-26"))
    assert not calendar.is_workday(d("2027-10-02"))
    assert calendar.period_end(d("2027-09-01"), 1) == (d("2027-10-05"), Coverage.CONFIG)
    # the next year is not configured: 2028-01-01 is a Saturday, and no 补休 is known for it
    assert calendar.period_end(d("2027-12-01"), 1) == (d("2028-01-03"), Coverage.STATUTORY)
