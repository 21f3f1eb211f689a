"""The complaint clocks: first response, resolution, the legal limit and the dispute re-review.

Each clock starts at the registration moment the caller passes (the moment the channel received the
submission).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from router.calendar.production import ProductionCalendar
from router.calendar.working_time import WorkingTime

LEGAL_LIMIT_DAYS = 60  # Federal Law 126-FZ "On Communications": calendar days from registration
FIRST_RESPONSE_WORKING_HOURS = 8
RESOLUTION_WORKING_DAYS = 5
DISPUTE_REVIEW_WORKING_DAYS = 5
# The legal limit ends at the last second of its day, local time (Civil Code art. 194: a period ends at
# 24:00 of its last day); 23:59:59 rather than the next midnight keeps the date shown the right one.
END_OF_DAY = time(23, 59, 59)


@dataclass(frozen=True)
class Deadlines:
    first_response: datetime
    resolution: datetime
    legal: datetime


def first_response_due(working: WorkingTime, registered_at: datetime) -> datetime:
    """Registration plus 8 working hours."""
    return working.add_working_time(registered_at, timedelta(hours=FIRST_RESPONSE_WORKING_HOURS))


def working_days_due(working: WorkingTime, start: datetime, days: int) -> datetime:
    """The end of the working time of the `days`-th working day after the day of `start`."""
    day = working.working_day_after(working.local_date(start), days)
    return working.end_of_day(day)


def resolution_due(working: WorkingTime, registered_at: datetime) -> datetime:
    """The end of the 5th working day after the registration day."""
    return working_days_due(working, registered_at, RESOLUTION_WORKING_DAYS)


def dispute_review_due(
    working: WorkingTime, disputed_at: datetime, days: int = DISPUTE_REVIEW_WORKING_DAYS
) -> datetime:
    """The end of the `days`-th working day after the day of the dispute."""
    return working_days_due(working, disputed_at, days)


def legal_last_day(production: ProductionCalendar, registered_on: date) -> date:
    """The 60th calendar day after the registration day, or the next working day when it is not one.

    Civil Code art. 191: a period starts on the day after the event; art. 193: when its last day is a
    non-working day, the period ends on the next working day.
    """
    last = registered_on + timedelta(days=LEGAL_LIMIT_DAYS)
    if not production.is_working_day(last):
        last = production.next_working_day(last)
    return last


def legal_due(production: ProductionCalendar, tz: ZoneInfo, registered_at: datetime) -> datetime:
    """The end (23:59:59 company time) of the last day of the 60-day legal limit."""
    day = legal_last_day(production, registered_at.astimezone(tz).date())
    return datetime.combine(day, END_OF_DAY, tzinfo=tz)
