"""The pause while a ticket waits for the client (ask_client): the pausing clocks' timers fire nothing, and
when the client replies each due date moves by exactly the time paused (working or calendar, as the clock
counts). Both are written into the ticket's history by the caller."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from router.calendar import BusinessCalendar
from router.models import Ticket
from router.sla import timers
from router.sla.fire import running
from router.sla.policy import CALENDAR_CLOCKS, CLOCK_TITLES_RU, Clock, SlaPolicy
from router.timeutil import aware, to_utc

DUE_COLUMNS = {Clock.FIRST_RESPONSE: "first_response_due", Clock.RESOLUTION: "resolution_due",
               Clock.LEGAL: "legal_due", Clock.DISPUTE: "dispute_due"}
CLOCK_PAUSED = "clock_paused"
CLOCK_RESUMED = "clock_resumed"


def _pausing(ticket: Ticket, policy: SlaPolicy) -> list[Clock]:
    return [clock for clock in Clock if clock in policy.pausing and running(ticket, clock)
            and getattr(ticket, DUE_COLUMNS[clock]) is not None]


def pause(session: Session, ticket: Ticket, policy: SlaPolicy, now: datetime) -> str | None:
    """Start the pause (a second question while waiting changes nothing); the history note, if any."""
    clocks = _pausing(ticket, policy)
    if ticket.paused_at is not None or not clocks:
        return None
    ticket.paused_at = to_utc(now)
    timers.suspend(session, ticket.id, clocks)
    return "Приостановлен срок " + "; ".join(CLOCK_TITLES_RU[c] for c in clocks) + ": ожидается ответ клиента."


def _amount(clock: Clock, calendar: BusinessCalendar, start: datetime, end: datetime) -> str:
    if clock in CALENDAR_CLOCKS:
        return f"{(end - start) / timedelta(days=1):.1f} дн."
    return f"{calendar.working_time_between(start, end) / timedelta(hours=1):.1f} раб. ч"


def moved_dues(calendar: BusinessCalendar, policy: SlaPolicy, dues: Mapping[Clock, datetime],
               paused_from: datetime, resumed_at: datetime) -> tuple[dict[Clock, datetime], str | None]:
    """The running pausing clocks' new due moments after a pause, and the history note."""
    moved: dict[Clock, datetime] = {}
    parts: list[str] = []
    for clock, due in dues.items():
        new = policy.moved(calendar, clock, aware(due), paused_from, resumed_at)
        moved[clock] = new
        parts.append(f"срок {CLOCK_TITLES_RU[clock]} продлён на {_amount(clock, calendar, paused_from, resumed_at)}"
                     f" — до {new.astimezone(calendar.tz).strftime('%d.%m.%Y %H:%M')}")
    return moved, ("Клиент ответил, приостановка снята: " + "; ".join(parts) + ".") if parts else None


def resume(session: Session, ticket: Ticket, calendar: BusinessCalendar, policy: SlaPolicy,
           now: datetime) -> str | None:
    """End the pause: the due dates move, their timers follow; the history note, if it was paused."""
    if ticket.paused_at is None:
        return None
    paused_from = aware(ticket.paused_at)
    ticket.paused_at = None
    dues = {clock: aware(getattr(ticket, DUE_COLUMNS[clock])) for clock in _pausing(ticket, policy)}
    moved, note = moved_dues(calendar, policy, dues, paused_from, aware(now))
    for clock, due in moved.items():
        setattr(ticket, DUE_COLUMNS[clock], to_utc(due))
    timers.reschedule(session, calendar, policy, ticket.id, moved)
    return note
