"""The derived production calendar against the official figures for a 40-hour five-day week.

Sources: the ConsultantPlus production calendars (https://www.consultant.ru/law/ref/calendar/proizvodstvennye/2025/
and .../2026/); the 2026 month-by-month table is also quoted at https://glavaudit.org/situations/k518956
(247 working days, 118 days off, 1972 hours).
"""

from __future__ import annotations

from calendar import monthrange
from datetime import date

import pytest

from router.calendar import BusinessCalendar

CALENDAR = BusinessCalendar()


@pytest.mark.parametrize(
    ("year", "working_days", "non_working_days", "hours"),
    [(2025, 247, 118, 1972), (2026, 247, 118, 1972)],
)
def test_year_totals_are_the_official_ones(year: int, working_days: int, non_working_days: int, hours: int) -> None:
    totals = CALENDAR.totals(year)
    assert (totals.working_days, totals.non_working_days, totals.hours_40h) == (working_days, non_working_days, hours)


@pytest.mark.parametrize(
    ("year", "shortened"),
    [
        # 30 Dec is a full day both years: 31 Dec is a moved day off, not a holiday (art. 95 needs a holiday).
        # 1 Nov 2025 is the Saturday worked instead of Monday 3 Nov, the day before Unity Day.
        (2025, [date(2025, 3, 7), date(2025, 4, 30), date(2025, 6, 11), date(2025, 11, 1)]),
        (2026, [date(2026, 4, 30), date(2026, 5, 8), date(2026, 6, 11), date(2026, 11, 3)]),
    ],
)
def test_shortened_pre_holiday_days(year: int, shortened: list[date]) -> None:
    days = [date.fromordinal(n) for n in range(date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal() + 1)]
    assert [day for day in days if CALENDAR.is_shortened(day)] == shortened


# The official 2026 calendar month by month: (working days, hours for a 40-hour week).
OFFICIAL_2026 = [
    (15, 120), (19, 152), (21, 168), (22, 175), (19, 151), (21, 167),
    (23, 184), (21, 168), (22, 176), (22, 176), (20, 159), (22, 176),
]  # fmt: skip


@pytest.mark.parametrize("month", range(1, 13))
def test_2026_month_by_month(month: int) -> None:
    totals = CALENDAR.totals(2026, date(2026, month, 1), date(2026, month, monthrange(2026, month)[1]))
    assert (totals.working_days, totals.hours_40h) == OFFICIAL_2026[month - 1]
