"""The official production calendar: working days, non-working days and shortened pre-holiday days.

The `holidays` package knows the public holidays (Labour Code art. 112) and the days moved by the yearly
Government decree (e.g. 2025-11-01 worked, 2025-11-03 off). Pre-holiday days are derived from that data:

- Labour Code art. 95: the working day immediately before a non-working public holiday is one hour shorter.
  Only the holidays of art. 112 count, not a day off moved there by the decree nor a holiday carried over
  from a weekend: 30 Dec 2025 and 30 Dec 2026 precede a moved day off (31 Dec), not a holiday, and are full
  days in the official calendars.
- A working weekend day takes over the working day it was exchanged for, with its length: 2025-11-01 is
  worked instead of 2025-11-03, the day before Unity Day, so it is shortened too.

The rule reproduces the official totals for a 40-hour week without any override:
2025: 247 working days, 1972 hours; 2026: 247 working days, 1972 hours (ConsultantPlus production
calendars, https://www.consultant.ru/law/ref/calendar/proizvodstvennye/2025/ and .../2026/; the 2026 table
is also quoted at https://glavaudit.org/situations/k518956: 247 days, 118 days off, 1972 hours).
`shortened_extra` and `shortened_removed` exist for a decree or a Ministry of Labour letter that departs
from the rule.

Where the library has no moved-day data for a year (years after the last decree it knows), the calendar
still answers from the fixed holidays and the weekends, and `coverage_warning` says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import holidays

HOURS_PER_DAY_40H = 8  # a 40-hour five-day week


@dataclass(frozen=True)
class YearTotals:
    year: int
    working_days: int
    non_working_days: int
    shortened_days: int

    @property
    def hours_40h(self) -> int:
        """The norm of working hours for a 40-hour week: 8 h a working day, 1 h less on a shortened day."""
        return self.working_days * HOURS_PER_DAY_40H - self.shortened_days


@dataclass(frozen=True)
class _Year:
    holidays: holidays.HolidayBase  # everything that is not worked, moved days off included
    statutory: frozenset[date]  # the non-working public holidays themselves (art. 112)
    worked_instead: dict[date, date]  # a working weekend day -> the weekday it was exchanged for
    has_transfer_data: bool


def _substitutions(raw: Any) -> list[tuple[int, ...]]:
    """The `special_public_holidays` entries of one year: one tuple or a tuple of tuples."""
    if not raw:
        return []
    entries = [raw] if isinstance(raw[0], int) else list(raw)
    return [tuple(entry) for entry in entries if len(entry) >= 4]  # (to_m, to_d, from_m, from_d[, from_y])


class ProductionCalendar:
    """Working, non-working and shortened days of one country, computed per year and cached."""

    def __init__(
        self,
        country: str = "RU",
        shortened_extra: Iterable[date] = (),
        shortened_removed: Iterable[date] = (),
    ) -> None:
        self.country = country
        self.shortened_extra = frozenset(shortened_extra)
        self.shortened_removed = frozenset(shortened_removed)
        self._years: dict[int, _Year] = {}

    def _year(self, year: int) -> _Year:
        cached = self._years.get(year)
        if cached is not None:
            return cached
        full = holidays.country_holidays(self.country, years=year)
        # Without the days carried over from a weekend (e.g. 2026-03-09 for 8 March).
        plain = holidays.country_holidays(self.country, years=year, observed=False)
        moves: dict[int, Any] = getattr(full, "special_public_holidays", {}) or {}
        moved_off: set[date] = set()
        worked_instead: dict[date, date] = {}
        for entry in _substitutions(moves.get(year)):
            day_off = date(year, entry[0], entry[1])
            worked = date(entry[4] if len(entry) > 4 else year, entry[2], entry[3])
            moved_off.add(day_off)
            if worked in full.weekend_workdays:
                worked_instead[worked] = day_off
        last_known = max(moves, default=0)
        result = _Year(
            holidays=full,
            statutory=frozenset(day for day in plain if day not in moved_off),
            worked_instead=worked_instead,
            has_transfer_data=full.start_year <= year <= last_known,
        )
        self._years[year] = result
        return result

    def is_working_day(self, day: date) -> bool:
        return bool(self._year(day.year).holidays.is_working_day(day))

    def is_statutory_holiday(self, day: date) -> bool:
        """A non-working public holiday of Labour Code art. 112 (not a moved or carried-over day off)."""
        return day in self._year(day.year).statutory

    def is_shortened(self, day: date) -> bool:
        """A working day one hour shorter (Labour Code art. 95), after the overrides."""
        if day in self.shortened_removed or not self.is_working_day(day):
            return False
        if day in self.shortened_extra:
            return True
        if self.is_statutory_holiday(day + timedelta(days=1)):
            return True
        exchanged = self._year(day.year).worked_instead.get(day)
        return exchanged is not None and self.is_statutory_holiday(exchanged + timedelta(days=1))

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def has_transfer_data(self, year: int) -> bool:
        """Whether the library knows the moved days (the Government decree) of `year`."""
        return self._year(year).has_transfer_data

    def years_without_data(self, years: Iterable[int]) -> list[int]:
        return sorted({year for year in years if not self.has_transfer_data(year)})

    def coverage_warning(self, year: int) -> str | None:
        """A warning in Russian when the moved days of `year` are unknown, else None."""
        if self.has_transfer_data(year):
            return None
        return (
            f"Нет данных о переносах выходных дней на {year} год (пакет holidays): учтены только праздники "
            "по ст. 112 ТК РФ и выходные дни, переносы по постановлению Правительства не учтены. "
            "Сроки в этом году могут быть неточными — обновите пакет holidays."
        )

    def totals(self, year: int, first: date | None = None, last: date | None = None) -> YearTotals:
        """Working, non-working and shortened days of `year` (or of the days first..last within it)."""
        day = first or date(year, 1, 1)
        end = last or date(year, 12, 31)
        working = non_working = shortened = 0
        while day <= end:
            if self.is_working_day(day):
                working += 1
                shortened += self.is_shortened(day)
            else:
                non_working += 1
            day += timedelta(days=1)
        return YearTotals(year, working, non_working, shortened)
