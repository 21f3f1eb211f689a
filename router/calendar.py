"""Business calendar: the official Russian production calendar plus the company's working hours.

`holidays` knows the moved days off and the working Saturdays (e.g. 2025-11-01 worked, 2025-11-03 off).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

LEGAL_LIMIT_DAYS = 60  # Federal Law 126-FZ "On Communications": calendar days from registration
FIRST_RESPONSE_WORKING_HOURS = 8
RESOLUTION_WORKING_DAYS = 5


@dataclass(frozen=True)
class Deadlines:
    first_response: datetime
    resolution: datetime
    legal: datetime


@dataclass
class BusinessCalendar:
    timezone: str = "Europe/Moscow"
    day_start: time = time(9, 0)
    day_end: time = time(18, 0)
    country: str = "RU"
    _calendars: dict[int, holidays.HolidayBase] = field(default_factory=dict, repr=False)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def _calendar(self, year: int) -> holidays.HolidayBase:
        if year not in self._calendars:
            self._calendars[year] = holidays.country_holidays(self.country, years=year)
        return self._calendars[year]

    def is_working_day(self, day: date) -> bool:
        return bool(self._calendar(day.year).is_working_day(day))

    def _at(self, day: date, moment: time) -> datetime:
        return datetime.combine(day, moment, tzinfo=self.tz)

    def _next_working_day(self, day: date) -> date:
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def working_moment(self, moment: datetime) -> datetime:
        """The same moment if it is working time, else the start of the next working period."""
        local = moment.astimezone(self.tz)
        day = local.date()
        if self.is_working_day(day):
            if local.timetz().replace(tzinfo=None) < self.day_start:
                return self._at(day, self.day_start)
            if local.timetz().replace(tzinfo=None) < self.day_end:
                return local
        return self._at(self._next_working_day(day), self.day_start)

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        remaining = timedelta(hours=hours)
        current = self.working_moment(start)
        while True:
            day_end = self._at(current.date(), self.day_end)
            if current + remaining <= day_end:
                return current + remaining
            remaining -= day_end - current
            current = self._at(self._next_working_day(current.date()), self.day_start)

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """End of the N-th working day counted from the day after registration."""
        day = start.astimezone(self.tz).date()
        for _ in range(days):
            day = self._next_working_day(day)
        return self._at(day, self.day_end)

    def deadlines(self, registered_at: datetime) -> Deadlines:
        return Deadlines(
            first_response=self.add_working_hours(registered_at, FIRST_RESPONSE_WORKING_HOURS),
            resolution=self.add_working_days(registered_at, RESOLUTION_WORKING_DAYS),
            legal=registered_at.astimezone(self.tz) + timedelta(days=LEGAL_LIMIT_DAYS),
        )
