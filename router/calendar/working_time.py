"""Working time: the hours of a working day (with an optional lunch break) laid over the production calendar.

All arithmetic is done in UTC on the day's working periods, one day at a time, so a time zone with daylight
saving time is handled too. A shortened day loses the last hour of its working time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import cached_property, lru_cache
from zoneinfo import ZoneInfo

from router.calendar.production import ProductionCalendar

SHORTENING = timedelta(hours=1)  # Labour Code art. 95
Period = tuple[datetime, datetime]  # [start, end) in UTC
_ALWAYS_AWARE = (ZoneInfo, timezone)


def _minutes(moment: time) -> timedelta:
    return timedelta(hours=moment.hour, minutes=moment.minute, seconds=moment.second)


@dataclass(frozen=True)
class WorkingHours:
    """The hours of a full working day; the lunch break, when set, is not working time."""

    start: time = time(9, 0)
    end: time = time(18, 0)
    lunch_start: time | None = None
    lunch_end: time | None = None

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ValueError(f"the working day must start before it ends: {self.start}-{self.end}")
        if (self.lunch_start is None) != (self.lunch_end is None):
            raise ValueError("the lunch break needs both a start and an end")
        if self.lunch_start is not None and self.lunch_end is not None:
            if not self.start < self.lunch_start < self.lunch_end < self.end:
                raise ValueError(f"the lunch break {self.lunch_start}-{self.lunch_end} must lie inside the day")
        if self.full_day <= SHORTENING:
            raise ValueError("the working day must be longer than one hour")

    def periods(self) -> list[tuple[time, time]]:
        if self.lunch_start is None or self.lunch_end is None:
            return [(self.start, self.end)]
        return [(self.start, self.lunch_start), (self.lunch_end, self.end)]

    @cached_property  # asked for every ticket's warnings; a frozen dataclass, so it cannot go stale
    def full_day(self) -> timedelta:
        return sum((_minutes(end) - _minutes(start) for start, end in self.periods()), timedelta())


class WorkingTime:
    """Working time of one set of hours in one time zone on a production calendar."""

    def __init__(self, production: ProductionCalendar, hours: WorkingHours, tz: ZoneInfo) -> None:
        self.production = production
        self.hours = hours
        self.tz = tz
        self.periods_on = lru_cache(maxsize=4096)(self._periods_on)
        # Every ticket's resolution clock asks this of its registration day: a handful of days a month.
        self.working_day_after = lru_cache(maxsize=4096)(self._working_day_after)

    def _periods_on(self, day: date) -> tuple[Period, ...]:
        """The working periods of a local date in UTC, in order; empty on a non-working day."""
        if not self.production.is_working_day(day):
            return ()
        periods = [(self._utc(day, start), self._utc(day, end)) for start, end in self.hours.periods()]
        if self.production.is_shortened(day):
            cut = SHORTENING  # taken from the end of the day, across the lunch break if need be
            while cut:
                start, end = periods.pop()
                if end - start > cut:
                    periods.append((start, end - cut))
                    break
                cut -= end - start
        return tuple(periods)

    def _utc(self, day: date, moment: time) -> datetime:
        return datetime.combine(day, moment, tzinfo=self.tz).astimezone(UTC)

    def local_date(self, moment: datetime) -> date:
        return _aware(moment).astimezone(self.tz).date()

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)

    def end_of_day(self, day: date) -> datetime:
        """The end of the working time of a working day (shortened if that day is)."""
        periods = self.periods_on(day)
        if not periods:
            raise ValueError(f"{day} is not a working day")
        return self.local(periods[-1][1])

    def _working_day_after(self, day: date, count: int) -> date:
        """The `count`-th working day after `day` (`day` itself does not count)."""
        for _ in range(count):
            day = self.production.next_working_day(day)
        return day

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Working time elapsed from `a` to `b`; negative when `b` is before `a`."""
        a, b = _aware(a).astimezone(UTC), _aware(b).astimezone(UTC)
        if b < a:
            return -self.working_time_between(b, a)
        total = timedelta()
        day, last = self.local_date(a), self.local_date(b)
        while day <= last:
            for start, end in self.periods_on(day):
                overlap = min(end, b) - max(start, a)
                if overlap > timedelta():
                    total += overlap
            day += timedelta(days=1)
        return total

    def add_working_time(self, start: datetime, delta: timedelta) -> datetime:
        """The moment when `delta` of working time has passed since `start` (a negative delta goes back).

        A zero delta gives `start` itself; a due date always falls inside working time or at the end of
        a working period, never at the start of the next one.
        """
        moment = _aware(start).astimezone(UTC)
        if delta < timedelta():
            return self._subtract_working_time(moment, -delta)
        remaining = delta
        day = self.local_date(moment)
        if not remaining:
            return self.local(moment)
        while True:
            for period_start, period_end in self.periods_on(day):
                begin = max(period_start, moment)
                if begin >= period_end:
                    continue
                if begin + remaining <= period_end:
                    return self.local(begin + remaining)
                remaining -= period_end - begin
            day += timedelta(days=1)

    def _subtract_working_time(self, moment: datetime, delta: timedelta) -> datetime:
        remaining = delta
        day = self.local_date(moment)
        while True:
            for period_start, period_end in reversed(self.periods_on(day)):
                finish = min(period_end, moment)
                if finish <= period_start:
                    continue
                if finish - remaining >= period_start:
                    return self.local(finish - remaining)
                remaining -= finish - period_start
            day -= timedelta(days=1)

    def working_moment(self, moment: datetime) -> datetime:
        """The same moment if it is working time, else the start of the next working period."""
        moment = _aware(moment).astimezone(UTC)
        day = self.local_date(moment)
        while True:
            for period_start, period_end in self.periods_on(day):
                if moment < period_end:
                    return self.local(max(period_start, moment))
            day += timedelta(days=1)


def _aware(moment: datetime) -> datetime:
    zone = moment.tzinfo
    # A ZoneInfo or a fixed offset always gives an offset; asking one costs microseconds, on every clock.
    if zone is None or (type(zone) not in _ALWAYS_AWARE and moment.utcoffset() is None):
        raise ValueError(f"a time zone is required: {moment.isoformat()}")
    return moment
