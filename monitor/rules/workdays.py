"""The official Chinese working-day calendar, the statutory holidays of every year, and config's days.

Working days follow the State Council's yearly notice: public holidays are rest days, and adjusted working days
(调休), often Saturdays or Sundays, are working days. The bundled data comes from the ``chinese-calendar``
package. For a year it does not cover, monitor still knows the holidays that 《全国年节及纪念日放假办法》 (as
revised in 2024, in force from 2025) fixes every year (:func:`statutory_holidays`): they are rest days whatever
config says, config's days are added to them, and only that year's 调休 stays unknown. A year outside both
(before 2025, or past what the lunar tables reach) is weekends only, with config's days. Callers get told which
applied (:class:`Coverage`) so that the output can say so next to every date it affects (docs/rules.md, section 3).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache

from monitor.errors import BadValue
from monitor.rules.dates import add_months

#: the first year of 《全国年节及纪念日放假办法》 as revised in 2024 (除夕 and May 2 added to the holidays)
STATUTORY_FROM = 2025
#: the last year whose lunar dates ``borax`` computes in full (its tables end with lunar 2100)
STATUTORY_UNTIL = 2099


class Coverage(StrEnum):
    OFFICIAL = "official"     # the State Council notice, from the bundled data
    CONFIG = "config"         # the days config.toml lists for the year, beside the statutory holidays
    STATUTORY = "statutory"   # the statutory holidays known, the year's 调休 not
    WEEKENDS = "weekends"     # nothing known: weekends only


class Holiday(StrEnum):
    """The holidays of 《全国年节及纪念日放假办法》 第二条 (the values are English; words.toml has the Chinese)."""

    NEW_YEAR = "New Year's Day"                  # 元旦, January 1
    SPRING_FESTIVAL = "Spring Festival"          # 春节, 除夕 and 正月初一 to 初三
    QINGMING = "Qingming Festival"               # 清明节, the solar term's day
    LABOUR_DAY = "Labour Day"                    # 劳动节, May 1 and 2
    DRAGON_BOAT = "Dragon Boat Festival"         # 端午节, 五月初五
    MID_AUTUMN = "Mid-Autumn Festival"           # 中秋节, 八月十五
    NATIONAL_DAY = "National Day"                # 国庆节, October 1 to 3


def statutory_holidays(year: int) -> Mapping[dt.date, Holiday]:
    """The rest days 《全国年节及纪念日放假办法》 (2024 revision) gives every citizen in ``year``, each with its
    holiday; empty for a year before 2025 or past 2099. The arrangement the State Council publishes each year moves
    days around these (调休) but never takes one of them away."""
    return _statutory().get(year, {})


@cache
def _statutory() -> dict[int, dict[dt.date, Holiday]]:
    return {year: _statutory_year(year) for year in range(STATUTORY_FROM, STATUTORY_UNTIL + 1)}


def _statutory_year(year: int) -> dict[dt.date, Holiday]:
    from borax.calendars.lunardate import LunarDate
    from chinese_calendar import get_solar_terms

    def lunar(month: int, day: int) -> dt.date:
        solar: dt.date = LunarDate(year, month, day).to_solar_date()
        return solar

    new_year = lunar(1, 1)        # 正月初一; 除夕 is the day before it, whether 腊月 has 29 days or 30
    [qingming] = [day for day, name in get_solar_terms(dt.date(year, 4, 1), dt.date(year, 4, 30)) if name == "清明"]
    days = {dt.date(year, 1, 1): Holiday.NEW_YEAR}
    days.update((new_year + dt.timedelta(days=offset), Holiday.SPRING_FESTIVAL) for offset in range(-1, 3))
    days[qingming] = Holiday.QINGMING
    days.update((dt.date(year, 5, day), Holiday.LABOUR_DAY) for day in (1, 2))
    days[lunar(5, 5)] = Holiday.DRAGON_BOAT
    days[lunar(8, 15)] = Holiday.MID_AUTUMN
    days.update((dt.date(year, 10, day), Holiday.NATIONAL_DAY) for day in (1, 2, 3))
    return days


def statutory_holiday(day: dt.date) -> Holiday | None:
    """The statutory holiday ``day`` is, if it is one (config may not make such a day a working day)."""
    return statutory_holidays(day.year).get(day)


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
        """The official data, the statutory holidays of the years it lacks, then config's days: a holiday config
        lists is a rest day, a workday it lists a working day, except on a statutory holiday (App refuses such a
        config; here the holiday wins)."""
        official_holidays, official_workdays = _official()
        extra_h, extra_w = frozenset(extra_holidays), frozenset(extra_workdays)
        official_years = frozenset(d.year for d in official_holidays)
        statutory = frozenset(day for year, days in _statutory().items() if year not in official_years
                              for day in days)
        return cls(
            holidays=(official_holidays - extra_w) | statutory | extra_h,
            workdays=((official_workdays - extra_h) | extra_w) - statutory,
            official_years=official_years,
            configured_years=frozenset(d.year for d in extra_h | extra_w) - official_years,
        )

    def coverage(self, year: int) -> Coverage:
        if year in self.official_years:
            return Coverage.OFFICIAL
        if year in self.configured_years:
            return Coverage.CONFIG
        if STATUTORY_FROM <= year <= STATUTORY_UNTIL:
            return Coverage.STATUTORY
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


_ORDER = {Coverage.OFFICIAL: 0, Coverage.CONFIG: 1, Coverage.STATUTORY: 2, Coverage.WEEKENDS: 3}


def _weakest(a: Coverage, b: Coverage) -> Coverage:
    return a if _ORDER[a] >= _ORDER[b] else b


@cache
def _official() -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    import chinese_calendar

    return frozenset(chinese_calendar.holidays), frozenset(chinese_calendar.workdays)
