"""Deadlines on the official Russian production calendar (holidays package: moved days, working Saturdays)."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from router.calendar import BusinessCalendar

MSK = ZoneInfo("Europe/Moscow")


def msk(*args: int) -> datetime:
    return datetime(*args, tzinfo=MSK)


@pytest.fixture
def calendar() -> BusinessCalendar:
    return BusinessCalendar()


def test_working_saturday_and_moved_day_off_of_november_2025(calendar: BusinessCalendar) -> None:
    assert calendar.is_working_day(date(2025, 11, 1))  # Saturday, worked in exchange for Monday
    assert not calendar.is_working_day(date(2025, 11, 3))  # Monday, day off moved from 1 November
    assert not calendar.is_working_day(date(2025, 11, 4))  # Unity Day


def test_first_response_counts_only_working_hours_across_a_weekend(calendar: BusinessCalendar) -> None:
    # Friday 16:00: 2 hours on Friday, the remaining 6 on Monday from 09:00.
    deadlines = calendar.deadlines(msk(2026, 11, 20, 16, 0))
    assert deadlines.first_response == msk(2026, 11, 23, 15, 0)
    # Five working days after Friday: Mon..Fri of the next week, end of the working day.
    assert deadlines.resolution == msk(2026, 11, 27, 18, 0)
    assert deadlines.legal == msk(2027, 1, 19, 16, 0)


def test_working_saturday_counts_and_moved_holiday_does_not(calendar: BusinessCalendar) -> None:
    # Friday 31 Oct 2025 15:00: 3 h Friday, then Saturday 1 Nov is a working day (5 h more).
    deadlines = calendar.deadlines(msk(2025, 10, 31, 15, 0))
    assert deadlines.first_response == msk(2025, 11, 1, 14, 0)
    # Working days after 31 Oct: 1 Nov (Sat), 5, 6, 7, 10 Nov (3 and 4 Nov are off).
    assert deadlines.resolution == msk(2025, 11, 10, 18, 0)


def test_registered_after_hours_on_the_working_saturday(calendar: BusinessCalendar) -> None:
    deadlines = calendar.deadlines(msk(2025, 11, 1, 20, 0))
    # Next working time is Wednesday 5 Nov 09:00 (Sunday, the moved Monday and Unity Day are off).
    assert deadlines.first_response == msk(2025, 11, 5, 17, 0)
    assert deadlines.resolution == msk(2025, 11, 11, 18, 0)


def test_new_year_holidays_are_skipped(calendar: BusinessCalendar) -> None:
    deadlines = calendar.deadlines(msk(2025, 12, 30, 17, 0))
    # 1 h on 30 Dec; 31 Dec 2025 is a moved day off and 1-9 Jan 2026 are off: 7 h more on Monday 12 Jan.
    assert deadlines.first_response == msk(2026, 1, 12, 16, 0)


def test_working_hours_and_time_zone_are_configurable() -> None:
    calendar = BusinessCalendar(timezone="Asia/Yekaterinburg", day_start=time(8, 0), day_end=time(17, 0))
    registered = datetime(2026, 11, 23, 14, 0, tzinfo=ZoneInfo("Asia/Yekaterinburg"))  # Monday
    first = calendar.deadlines(registered).first_response
    assert first == datetime(2026, 11, 24, 13, 0, tzinfo=ZoneInfo("Asia/Yekaterinburg"))
    # The same instant seen from Moscow (two hours behind Yekaterinburg).
    assert first.astimezone(MSK).hour == 11
