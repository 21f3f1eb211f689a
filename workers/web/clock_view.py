"""How each clock of a ticket looks to staff now: its due moment, a state (ok, near, breached, met, met
late, paused) and a Russian text with the time left or the delay, in working time (the legal limit in
calendar days). Pure: the ticket, the calendar, the policy and `now` in, view objects out.

A working day in the texts is a full working day of the calendar's hours (`hours.full_day`): "2 раб. дн.
3 ч" is 2 × full_day + 3 h of working time left.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal

from router.calendar import BusinessCalendar
from router.calendar.clocks import FIRST_RESPONSE_WORKING_HOURS, LEGAL_LIMIT_DAYS, RESOLUTION_WORKING_DAYS
from router.models import Ticket
from router.sla.policy import CALENDAR_CLOCKS, Clock, SlaPolicy
from router.timeutil import aware

State = Literal["ok", "near", "breached", "met", "met_late", "paused"]
RUNNING_STATES: Final = frozenset({"ok", "near", "breached", "paused"})

PAUSED_TEXT = "приостановлен (ждём ответа клиента)"
MET_TEXT = "выполнено в срок"
STOPPED_TEXT = "остановлен (претензия закрыта)"  # closed, but the moment it stopped was not recorded

# Short names, for a queue row ("рассмотрение: 30.11.2026 18:00").
NAMES_RU: Final = {
    Clock.FIRST_RESPONSE: "первый ответ",
    Clock.RESOLUTION: "рассмотрение",
    Clock.LEGAL: "предельный срок по закону",
    Clock.DISPUTE: "пересмотр после оспаривания",
}


@dataclass(frozen=True)
class ClockView:
    clock: Clock
    title: str  # with the clock's length, for the ticket page
    name: str  # short, for a queue row
    due: datetime  # aware
    state: State
    text: str  # Russian; says the state in words, so the colour is never the only signal

    @property
    def running(self) -> bool:
        return self.state in RUNNING_STATES

    @property
    def css(self) -> str:
        return "clock-" + self.state.replace("_", "-")


def _titles(calendar: BusinessCalendar) -> dict[Clock, str]:
    return {
        Clock.FIRST_RESPONSE: f"Первый ответ клиенту ({FIRST_RESPONSE_WORKING_HOURS} рабочих часов)",
        Clock.RESOLUTION: f"Рассмотрение ({RESOLUTION_WORKING_DAYS} рабочих дней)",
        Clock.LEGAL: f"Предельный срок по 126-ФЗ ({LEGAL_LIMIT_DAYS} дней)",
        Clock.DISPUTE: f"Пересмотр после оспаривания ({calendar.dispute_review_days} рабочих дней)",
    }


def _due_of(ticket: Ticket, clock: Clock) -> datetime | None:
    due = {Clock.FIRST_RESPONSE: ticket.first_response_due, Clock.RESOLUTION: ticket.resolution_due,
           Clock.LEGAL: ticket.legal_due, Clock.DISPUTE: ticket.dispute_due}[clock]
    return aware(due) if due is not None else None


def _stopped_at(ticket: Ticket, clock: Clock) -> datetime | None:
    """When the clock stopped, or None while it runs (as router.sla.fire.running decides)."""
    moment: datetime | None = None
    if clock == Clock.FIRST_RESPONSE:
        moment = ticket.acknowledged_at
    elif clock in (Clock.RESOLUTION, Clock.LEGAL):
        moment = ticket.resolved_at
    if moment is None and ticket.status != "open":
        moment = ticket.closed_at  # the dispute's re-review ends when the ticket closes again
    return aware(moment) if moment is not None else None


def working_span(delta: timedelta, full_day: timedelta) -> str:
    """Working time as "2 раб. дн. 3 ч", "1 раб. ч 30 мин", "5 раб. ч" or "20 раб. мин" (rounded down)."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, rest = divmod(minutes, max(1, int(full_day.total_seconds() // 60)))
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} раб. дн. {hours} ч" if hours else f"{days} раб. дн."
    if hours:
        return f"{hours} раб. ч {minutes} мин" if minutes else f"{hours} раб. ч"
    return f"{minutes} раб. мин"


def late_span(delta: timedelta) -> str:
    """A met clock's delay in working hours: "3 ч", "1 ч 20 мин", "15 мин" (rounded down)."""
    hours, minutes = divmod(int(abs(delta).total_seconds() // 60), 60)
    if hours:
        return f"{hours} ч {minutes} мин" if minutes else f"{hours} ч"
    return f"{minutes} мин"


def _days_between(calendar: BusinessCalendar, a: datetime, b: datetime) -> int:
    """Calendar days from the company date of `a` to that of `b`."""
    return (b.astimezone(calendar.tz).date() - a.astimezone(calendar.tz).date()).days


def _running(calendar: BusinessCalendar, policy: SlaPolicy, clock: Clock, due: datetime,
             now: datetime) -> tuple[State, str]:
    if clock in CALENDAR_CLOCKS:
        days = _days_between(calendar, now, due)
        if now >= due:
            return "breached", f"просрочено на {max(1, -days)} дн."
        state: State = "near" if now >= policy.warning_at(calendar, clock, due) else "ok"
        return state, f"осталось {days} дн." if days > 0 else "истекает сегодня"
    if now >= due:
        late = calendar.working_time_between(due, now)
        # Past a due moment at the end of a working day, before the next one starts: no working time yet.
        return "breached", f"просрочено на {working_span(late, calendar.hours.full_day)}" if late >= timedelta(
            minutes=1) else "просрочено (срок истёк в нерабочее время)"
    left = calendar.working_time_between(now, due)
    state = "near" if now >= policy.warning_at(calendar, clock, due) else "ok"
    if left < timedelta(minutes=1):
        return state, "осталось меньше минуты"
    return state, f"осталось {working_span(left, calendar.hours.full_day)}"


def _stopped(calendar: BusinessCalendar, clock: Clock, due: datetime, stopped: datetime) -> tuple[State, str]:
    if stopped <= due:
        return "met", MET_TEXT
    if clock in CALENDAR_CLOCKS:
        return "met_late", f"с нарушением на {max(1, _days_between(calendar, due, stopped))} дн."
    late = calendar.working_time_between(due, stopped)
    if late < timedelta(minutes=1):
        return "met_late", "с нарушением (после срока, в нерабочее время)"
    return "met_late", f"с нарушением на {late_span(late)}"


def clock_view(ticket: Ticket, clock: Clock, calendar: BusinessCalendar, policy: SlaPolicy,
               now: datetime) -> ClockView | None:
    """The clock's view, or None when the ticket has no such clock (no dispute yet)."""
    due = _due_of(ticket, clock)
    if due is None:
        return None
    stopped = _stopped_at(ticket, clock)
    state: State
    if stopped is not None:
        state, text = _stopped(calendar, clock, due, stopped)
    elif ticket.status != "open":
        state, text = "met", STOPPED_TEXT
    elif ticket.paused_at is not None and clock in policy.pausing:
        state, text = "paused", PAUSED_TEXT
    else:
        state, text = _running(calendar, policy, clock, due, aware(now))
    return ClockView(clock, _titles(calendar)[clock], NAMES_RU[clock], due, state, text)


def clock_views(ticket: Ticket, calendar: BusinessCalendar, policy: SlaPolicy, now: datetime) -> list[ClockView]:
    """Every clock the ticket has, in the order of the review: first response, resolution, legal, dispute."""
    views = (clock_view(ticket, clock, calendar, policy, now) for clock in
             (Clock.FIRST_RESPONSE, Clock.RESOLUTION, Clock.LEGAL, Clock.DISPUTE))
    return [view for view in views if view is not None]


def nearest(ticket: Ticket, calendar: BusinessCalendar, policy: SlaPolicy, now: datetime) -> ClockView:
    """The clock to show in a queue row: the dispute's re-review while disputed, else the first response
    until acknowledged, else the resolution; the legal limit instead when it runs and is breached or due
    sooner. A closed ticket shows how its last clock ended."""
    views = {view.clock: view for view in clock_views(ticket, calendar, policy, now)}
    dispute = views.get(Clock.DISPUTE)
    if dispute is not None:  # set by a dispute; it runs until the ticket is closed again
        shown = dispute
    elif views[Clock.FIRST_RESPONSE].running:
        shown = views[Clock.FIRST_RESPONSE]
    else:
        shown = views[Clock.RESOLUTION]
    legal = views[Clock.LEGAL]
    if shown.clock != Clock.LEGAL and legal.running and (legal.state == "breached" or legal.due < shown.due):
        return legal
    return shown
