from __future__ import annotations

import pytest

from monitor.rules.workdays import Coverage, WorkCalendar
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


def test_uncovered_year_falls_back_to_weekends_and_says_so(calendar: WorkCalendar) -> None:
    assert calendar.coverage(2031) is Coverage.WEEKENDS
    end, coverage = calendar.period_end(d("2031-09-01"), 1)   # 2031-10-01 is a Wednesday
    assert end == d("2031-10-01")
    assert coverage is Coverage.WEEKENDS


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
