"""When each clock warns, who hears of a warning or a breach, and which clocks pause while the ticket waits
for the client. Built from the settings (workers.app.settings.Settings.sla_policy)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from router.calendar import BusinessCalendar


class Clock(StrEnum):
    FIRST_RESPONSE = "first_response"  # 8 working hours; stopped by acknowledge or answer_unfounded
    RESOLUTION = "resolution"  # 5 working days; stopped by the final answer (inform, answer_unfounded)
    LEGAL = "legal"  # 60 calendar days (Civil Code art. 191, 193); stopped by the final answer
    DISPUTE = "dispute"  # the re-review after a dispute; stopped by the next final answer


class Level(StrEnum):
    WARNING = "warning"
    BREACH = "breach"


CLOCK_TITLES_RU = {
    Clock.FIRST_RESPONSE: "первого ответа клиенту",
    Clock.RESOLUTION: "рассмотрения претензии (5 рабочих дней)",
    Clock.LEGAL: "ответа по закону (60 дней)",
    Clock.DISPUTE: "пересмотра решения после оспаривания",
}
# The calendar-day clock; the others count working time.
CALENDAR_CLOCKS = frozenset({Clock.LEGAL})


@dataclass(frozen=True)
class SlaPolicy:
    first_response_warning: timedelta = timedelta(hours=2)  # working time before the due moment
    resolution_warning_days: int = 1  # working days before
    legal_warning: timedelta = timedelta(days=10)  # calendar time before
    dispute_warning_days: int = 1  # working days before
    # Clocks that stop while the ticket waits for the client's answer (ask_client); the due date moves by
    # exactly the paused (working or calendar) time when the client replies.
    pausing: frozenset[Clock] = field(default_factory=lambda: frozenset({Clock.RESOLUTION}))

    def warning_at(self, calendar: BusinessCalendar, clock: Clock, due: datetime) -> datetime:
        """When the warning before `due` fires."""
        if clock == Clock.LEGAL:
            return due - self.legal_warning
        if clock == Clock.FIRST_RESPONSE:
            return calendar.add_working_time(due, -self.first_response_warning)
        days = self.resolution_warning_days if clock == Clock.RESOLUTION else self.dispute_warning_days
        return calendar.add_working_time(due, -calendar.hours.full_day * days)

    def moved(self, calendar: BusinessCalendar, clock: Clock, due: datetime, paused_from: datetime,
              resumed_at: datetime) -> datetime:
        """The due moment after a pause: later by exactly the time paused (working or calendar)."""
        if clock in CALENDAR_CLOCKS:
            return due + (resumed_at - paused_from)
        return calendar.add_working_time(due, calendar.working_time_between(paused_from, resumed_at))
