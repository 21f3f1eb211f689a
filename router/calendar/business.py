"""The company's business calendar: production calendar, working hours, departments' hours, one time zone."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from router.calendar import clocks
from router.calendar.production import ProductionCalendar, YearTotals
from router.calendar.working_time import WorkingHours, WorkingTime


@dataclass
class BusinessCalendar:
    timezone: str = "Europe/Moscow"
    day_start: time = time(9, 0)
    day_end: time = time(18, 0)
    country: str = "RU"
    lunch_start: time | None = None
    lunch_end: time | None = None
    shortened_extra: frozenset[date] = frozenset()  # working days forced one hour shorter
    shortened_removed: frozenset[date] = frozenset()  # pre-holiday days forced to full length
    department_hours: Mapping[str, WorkingHours] = field(default_factory=dict)
    dispute_review_days: int = clocks.DISPUTE_REVIEW_WORKING_DAYS
    # Shared by the departments' calendars, so each year is loaded once.
    production: ProductionCalendar | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.production is None:
            self.production = ProductionCalendar(self.country, self.shortened_extra, self.shortened_removed)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property  # as working_time: the fields are not changed after construction (replace() makes a new one)
    def hours(self) -> WorkingHours:
        return WorkingHours(self.day_start, self.day_end, self.lunch_start, self.lunch_end)

    @property
    def _production(self) -> ProductionCalendar:
        assert self.production is not None  # set in __post_init__
        return self.production

    @cached_property
    def working_time(self) -> WorkingTime:
        return WorkingTime(self._production, self.hours, self.tz)

    def for_department(self, department: str | None) -> BusinessCalendar:
        """The calendar with the department's own working hours, or the company's when it has none."""
        hours = self.department_hours.get(department) if department else None
        if hours is None:
            return self
        return replace(
            self,
            day_start=hours.start,
            day_end=hours.end,
            lunch_start=hours.lunch_start,
            lunch_end=hours.lunch_end,
            production=self._production,
        )

    # The production calendar
    def is_working_day(self, day: date) -> bool:
        return self._production.is_working_day(day)

    def is_shortened(self, day: date) -> bool:
        return self._production.is_shortened(day)

    def totals(self, year: int, first: date | None = None, last: date | None = None) -> YearTotals:
        """Working, non-working and shortened days of the year (or of first..last within it)."""
        return self._production.totals(year, first, last)

    def years_without_data(self, years: Iterable[int]) -> list[int]:
        return self._production.years_without_data(years)

    def coverage_warning(self, year: int) -> str | None:
        return self._production.coverage_warning(year)

    # Working time
    def working_moment(self, moment: datetime) -> datetime:
        return self.working_time.working_moment(moment)

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        return self.working_time.working_time_between(a, b)

    def add_working_time(self, start: datetime, delta: timedelta) -> datetime:
        return self.working_time.add_working_time(start, delta)

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        return self.add_working_time(start, timedelta(hours=hours))

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """End of the working time of the N-th working day counted from the day after `start`."""
        return clocks.working_days_due(self.working_time, start, days)

    def end_of_working_day(self, day: date) -> datetime:
        return self.working_time.end_of_day(day)

    # The clocks
    def deadlines(self, registered_at: datetime) -> clocks.Deadlines:
        return clocks.Deadlines(
            first_response=clocks.first_response_due(self.working_time, registered_at),
            resolution=clocks.resolution_due(self.working_time, registered_at),
            legal=self.legal_due(registered_at),
        )

    def legal_due(self, registered_at: datetime) -> datetime:
        return clocks.legal_due(self._production, self.tz, registered_at)

    def dispute_review_due(self, disputed_at: datetime, days: int | None = None) -> datetime:
        days = self.dispute_review_days if days is None else days
        return clocks.dispute_review_due(self.working_time, disputed_at, days)
