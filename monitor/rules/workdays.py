"""The official Chinese working-day calendar, with config overrides for years it does not cover.

Working days follow the State Council's yearly notice: public holidays are rest days, and adjusted
working days (调休), often Saturdays or Sundays, are working days. The bundled data comes from the
``chinese-calendar`` package. For a year it does not cover, the days config lists are used; with none
listed, weekends only. Callers get told which of the three applied (:class:`Coverage`) so that the
output can say so next to every date it affects.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache

from monitor.errors import BadValue
from monitor.rules.dates import add_months


class Coverage(StrEnum):
    OFFICIAL = "official"   # the State Council notice, from the bundled data
    CONFIG = "config"       # the holidays and workdays listed in config.toml
    WEEKENDS = "weekends"   # nothing known: weekends only


@dataclass(frozen=True, slots=True)
class WorkCalendar:
    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]
    official_years: frozenset[int]
    configured_years: frozenset[int]
    #: period_end's answers, by (start, months): every change of every cluster asks, and days repeat
    _ends: dict[tuple[dt.date, int], tuple[dt.date, Coverage]] = field(default_factory=dict, compare=False,
                                                                       hash=False, repr=False)

    @classmethod
    def load(cls, extra_holidays: Iterable[dt.date] = (), extra_workdays: Iterable[dt.date] = ()) -> WorkCalendar:
        official_holidays, official_workdays = _official()
        extra_h, extra_w = frozenset(extra_holidays), frozenset(extra_workdays)
        official_years = frozenset(d.year for d in official_holidays)
        return cls(
            holidays=(official_holidays - extra_w) | extra_h,
            workdays=(official_workdays - extra_h) | extra_w,
            official_years=official_years,
            configured_years=frozenset(d.year for d in extra_h | extra_w) - official_years,
        )

    def coverage(self, year: int) -> Coverage:
        if year in self.official_years:
            return Coverage.OFFICIAL
        if year in self.configured_years:
            return Coverage.CONFIG
        return Coverage.WEEKENDS

    def is_workday(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def roll_forward(self, day: dt.date) -> tuple[dt.date, Coverage]:
        """The first working day on or after ``day``, and the weakest coverage of the days examined."""
        coverage = self.coverage(day.year)
        while not self.is_workday(day):
            day += dt.timedelta(days=1)
            coverage = _weakest(coverage, self.coverage(day.year))
        return day, coverage

    def add_workdays(self, start: dt.date, count: int) -> tuple[dt.date, Coverage]:
        """The ``count``-th working day after ``start`` (``start`` itself is not counted)."""
        if count < 1:
            raise BadValue("count must be at least 1, not {count!r}", count=count)
        day, coverage = start, self.coverage(start.year)
        while count:
            day += dt.timedelta(days=1)
            coverage = _weakest(coverage, self.coverage(day.year))
            if self.is_workday(day):
                count -= 1
        return day, coverage

    def period_end(self, start: dt.date, months: int) -> tuple[dt.date, Coverage]:
        """Civil Code 第二百零一条 to 第二百零三条: a period of ``months`` counted from an event.

        The event's day is not counted; the period ends on the corresponding day of the month (its last
        day where there is none), moved to the first working day after when that is a statutory rest day.
        """
        end = self._ends.get((start, months))
        if end is None:
            end = self._ends[start, months] = self.roll_forward(add_months(start, months))
        return end


_ORDER = {Coverage.OFFICIAL: 0, Coverage.CONFIG: 1, Coverage.WEEKENDS: 2}


def _weakest(a: Coverage, b: Coverage) -> Coverage:
    return a if _ORDER[a] >= _ORDER[b] else b


@cache
def _official() -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    import chinese_calendar

    return frozenset(chinese_calendar.holidays), frozenset(chinese_calendar.workdays)
