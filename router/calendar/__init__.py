"""Business calendar: the official Russian production calendar plus the company's working hours.

- `production`: working, non-working and shortened pre-holiday days from the `holidays` data;
- `working_time`: the working hours of a day (lunch, shortened days) and working-time arithmetic;
- `clocks`: the complaint deadlines (first response, resolution, legal limit, dispute re-review);
- `business`: `BusinessCalendar`, the company's calendar built from the settings.
"""

from router.calendar.business import BusinessCalendar
from router.calendar.clocks import (
    DISPUTE_REVIEW_WORKING_DAYS,
    FIRST_RESPONSE_WORKING_HOURS,
    LEGAL_LIMIT_DAYS,
    RESOLUTION_WORKING_DAYS,
    Deadlines,
)
from router.calendar.production import ProductionCalendar, YearTotals
from router.calendar.working_time import WorkingHours, WorkingTime

__all__ = [
    "DISPUTE_REVIEW_WORKING_DAYS",
    "FIRST_RESPONSE_WORKING_HOURS",
    "LEGAL_LIMIT_DAYS",
    "RESOLUTION_WORKING_DAYS",
    "BusinessCalendar",
    "Deadlines",
    "ProductionCalendar",
    "WorkingHours",
    "WorkingTime",
    "YearTotals",
]
