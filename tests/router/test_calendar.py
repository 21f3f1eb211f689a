"""Deadlines on the official Russian production calendar (holidays package: moved days, working Saturdays)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest

from router.calendar import BusinessCalendar, WorkingHours

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
    # Legal: 60 calendar days counted from the day after registration (Civil Code art. 191), ending at the
    # end of the 60th day (was registration + 60 × 24 h = 16:00): 20 Nov + 60 days = Tuesday 19 Jan 2027,
    # a working day, so the limit ends at 23:59:59 company time.
    assert deadlines.legal == msk(2027, 1, 19, 23, 59, 59)


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


# ---- Working-time arithmetic (used by the sla worker) ----

LUNCH = BusinessCalendar(lunch_start=time(13, 0), lunch_end=time(14, 0))


def test_working_time_between_counts_only_working_time() -> None:
    # LUNCH, Fri 7 Mar 2025 (shortened: 09–13, 14–17) 12:00 to Tue 11 Mar 10:30:
    # 1 h + 3 h on Friday, weekend, Mon 10 Mar 8 h, Tue 1.5 h = 13.5 h.
    assert LUNCH.working_time_between(msk(2025, 3, 7, 12), msk(2025, 3, 11, 10, 30)) == timedelta(hours=13.5)
    # Time left is negative once the due date has passed: from Tue 11 Mar 10:30 back to Mon 10 Mar 17:30
    # is 1.5 h on Tuesday and 0.5 h on Monday = -2 h.
    assert LUNCH.working_time_between(msk(2025, 3, 11, 10, 30), msk(2025, 3, 10, 17, 30)) == -timedelta(hours=2)
    # Nothing is worked over the New Year holidays (31 Dec 2025 .. 11 Jan 2026).
    assert LUNCH.working_time_between(msk(2025, 12, 30, 18), msk(2026, 1, 12, 9)) == timedelta()


@pytest.mark.parametrize("calendar", [BusinessCalendar(), LUNCH], ids=["day", "lunch"])
def test_add_and_between_round_trip(calendar: BusinessCalendar) -> None:
    deltas = [timedelta(), timedelta(minutes=30), timedelta(hours=8), timedelta(days=3, hours=5, minutes=7)]
    start = msk(2025, 12, 20, 0, 0)
    for step in range(200):  # every 7 h 13 min from 20 Dec 2025: nights, lunch, New Year, weekends
        moment = start + timedelta(minutes=433 * step)
        for delta in deltas:
            due = calendar.add_working_time(moment, delta)
            assert calendar.working_time_between(moment, due) == delta, (moment, delta)
            # Going back the same working time lands on the working moment the count started from.
            if delta:
                assert calendar.add_working_time(due, -delta) == calendar.working_moment(moment), (moment, delta)


def test_a_pause_moves_the_due_date_by_the_paused_working_time() -> None:
    registered = msk(2026, 3, 2, 10)  # Monday
    # LUNCH: 3 h (10–13) + 4 h (14–18) on Monday, 1 h on Tuesday -> Tue 3 Mar 10:00.
    due = LUNCH.deadlines(registered).first_response
    assert due == msk(2026, 3, 3, 10)
    # Waiting for the client from Mon 16:00 to Tue 11:30: 2 h + 2.5 h = 4.5 h of working time.
    paused = LUNCH.working_time_between(msk(2026, 3, 2, 16), msk(2026, 3, 3, 11, 30))
    assert paused == timedelta(hours=4.5)
    # Tue 10:00 + 4.5 h: 3 h to lunch, 1.5 h after -> 15:30.
    moved = LUNCH.add_working_time(due, paused)
    assert moved == msk(2026, 3, 3, 15, 30)
    # Exactly 8 working hours remain outside the pause.
    assert LUNCH.working_time_between(registered, moved) - paused == timedelta(hours=8)


class NoOffset(tzinfo):
    """A tzinfo that knows no offset: a moment in it is as naive as one without any."""

    def utcoffset(self, moment: datetime | None) -> timedelta | None:
        return None


def test_naive_moments_are_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        BusinessCalendar().working_time_between(datetime(2026, 3, 2, 10), msk(2026, 3, 2, 12))
    with pytest.raises(ValueError, match="time zone"):
        BusinessCalendar().add_working_time(datetime(2026, 3, 2, 10, tzinfo=NoOffset()), timedelta(hours=1))
    # A fixed offset is a zone too (the check skips asking it for its offset, not the moment).
    fixed = BusinessCalendar().add_working_time(datetime(2026, 3, 2, 7, tzinfo=UTC), timedelta(hours=1))
    assert fixed == msk(2026, 3, 2, 11)


# ---- Departments, lunch and overrides ----


def test_department_hours_override_the_company_hours() -> None:
    calendar = BusinessCalendar(department_hours={"technical": WorkingHours(time(8, 0), time(20, 0))})
    technical = calendar.for_department("technical")
    registered = msk(2026, 3, 2, 15)  # Monday
    # Technical: 5 h (15–20), Tue 08:00 + 3 h = 11:00; resolution: 3, 4, 5, 6 Mar, (9 Mar off) 10 Mar 20:00.
    assert technical.deadlines(registered).first_response == msk(2026, 3, 3, 11)
    assert technical.deadlines(registered).resolution == msk(2026, 3, 10, 20)
    # The company: 3 h (15–18), Tue 09:00 + 5 h = 14:00; resolution 10 Mar 18:00.
    assert calendar.deadlines(registered).first_response == msk(2026, 3, 3, 14)
    assert calendar.deadlines(registered).resolution == msk(2026, 3, 10, 18)
    # The legal limit does not depend on working hours.
    assert technical.deadlines(registered).legal == calendar.deadlines(registered).legal
    # A shortened day (3 Nov 2026) ends an hour early for the department too.
    assert technical.end_of_working_day(date(2026, 11, 3)) == msk(2026, 11, 3, 19)
    # Departments with no hours of their own work the company's.
    assert calendar.for_department("billing") is calendar
    assert calendar.for_department(None) is calendar


def test_department_calendar_keeps_lunch_of_its_own() -> None:
    hours = WorkingHours(time(10, 0), time(19, 0), time(14, 0), time(15, 0))
    technical = BusinessCalendar(department_hours={"technical": hours}).for_department("technical")
    # Mon 2 Mar 2026 12:00: 2 h (12–14) + 4 h (15–19), Tue 10:00 + 2 h = 12:00.
    assert technical.deadlines(msk(2026, 3, 2, 12)).first_response == msk(2026, 3, 3, 12)


def test_shortened_day_overrides() -> None:
    default = BusinessCalendar()
    assert default.is_shortened(date(2026, 4, 30)) and not default.is_shortened(date(2026, 12, 30))
    calendar = BusinessCalendar(
        shortened_extra=frozenset({date(2026, 12, 30)}), shortened_removed=frozenset({date(2026, 4, 30)})
    )
    assert not calendar.is_shortened(date(2026, 4, 30))
    assert calendar.end_of_working_day(date(2026, 4, 30)) == msk(2026, 4, 30, 18)
    assert calendar.is_shortened(date(2026, 12, 30))
    # Wed 30 Dec 2026 12:00, now ending at 17:00: 5 h; Mon 11 Jan 2027 09:00 + 3 h = 12:00.
    assert calendar.deadlines(msk(2026, 12, 30, 12)).first_response == msk(2027, 1, 11, 12)
    # One shortened day swapped for another: the year's hours are unchanged.
    assert calendar.totals(2026).hours_40h == default.totals(2026).hours_40h == 1972


def test_working_hours_are_validated() -> None:
    with pytest.raises(ValueError, match="start before it ends"):
        WorkingHours(time(18, 0), time(9, 0))
    with pytest.raises(ValueError, match="both a start and an end"):
        WorkingHours(lunch_start=time(13, 0))
    with pytest.raises(ValueError, match="inside the day"):
        WorkingHours(lunch_start=time(8, 0), lunch_end=time(9, 30))


# ---- What the holidays data covers ----


def test_coverage_of_moved_days(calendar: BusinessCalendar) -> None:
    # The installed holidays data knows the decrees up to 2027; 2099 has no decree yet.
    assert calendar.years_without_data([2025, 2026, 2027, 2099]) == [2099]
    assert calendar.coverage_warning(2026) is None
    warning = calendar.coverage_warning(2099)
    assert warning is not None and "2099" in warning and "Нет данных о переносах" in warning
    # The clocks still run on the fixed holidays and weekends: Fri 1 May 2099 is Labour Day.
    assert not calendar.is_working_day(date(2099, 5, 1))
