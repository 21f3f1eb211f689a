"""One tick of the sla worker: the timers due by now, read by the partial index on fire_at, each claimed by a
conditional UPDATE (fired once across replicas and restarts) and, if its clock still runs, recorded in the
ticket's history, as in-app alerts and as notices (emailed by the notify worker)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from router.alerts import staff_notice
from router.calendar import BusinessCalendar
from router.models import SlaTimer, Staff, StaffAlert, Ticket, TicketHistory
from router.outbox import NOTICES_SUBJECT, add_outbox
from router.sla.policy import CALENDAR_CLOCKS, CLOCK_TITLES_RU, Clock, Level, SlaPolicy
from router.timeutil import aware, to_utc

TICK_LIMIT = 500  # timers per transaction; a backlog is worked through tick by tick
SLA_ACTOR = "sla"
HISTORY_ACTIONS = {Level.WARNING: "sla_warning", Level.BREACH: "sla_breach"}
ALERT_KINDS = {Level.WARNING: "sla_warning", Level.BREACH: "sla_escalation"}


@dataclass(frozen=True)
class Fired:
    ticket_number: str
    clock: Clock
    level: Level
    outcome: str  # fired | stopped
    recipients: tuple[str, ...] = ()


@dataclass(frozen=True)
class DueTimer:
    id: int
    ticket_id: int
    clock: Clock
    level: Level


def due_timers(session: Session, now: datetime, limit: int = TICK_LIMIT) -> list[DueTimer]:
    """The next timers due, by the partial index ix_sla_timers_due (never a scan of the open tickets).
    Plain rows, not ORM objects: nothing for the session to track or synchronise."""
    rows = session.execute(
        select(SlaTimer.id, SlaTimer.ticket_id, SlaTimer.clock, SlaTimer.level)
        .where(SlaTimer.fired_at.is_(None), SlaTimer.fire_at.is_not(None), SlaTimer.fire_at <= to_utc(now))
        .order_by(SlaTimer.fire_at, SlaTimer.id).limit(limit))
    return [DueTimer(row.id, row.ticket_id, Clock(row.clock), Level(row.level)) for row in rows]


class ClockState(Protocol):
    """What decides whether a clock runs: an ORM Ticket, or routing's TicketRef."""

    status: str
    acknowledged_at: datetime | None
    resolved_at: datetime | None


def running(ticket: ClockState, clock: Clock) -> bool:
    """Whether the clock still runs (else its timers fire nothing)."""
    if ticket.status != "open":
        return False
    if clock == Clock.FIRST_RESPONSE:
        return ticket.acknowledged_at is None
    if clock in (Clock.RESOLUTION, Clock.LEGAL):
        return ticket.resolved_at is None
    return True  # the dispute's re-review runs until the next answer closes the ticket


@dataclass
class Staffing:
    """Who is told, read once per tick."""

    by_login: dict[str, Staff]
    subscriber_heads: list[str]
    directors: list[str]

    @classmethod
    def load(cls, session: Session) -> Staffing:
        staff = {s.login: s for s in session.scalars(select(Staff).where(Staff.active.is_(True)))}

        def of_role(role: str) -> list[str]:
            return sorted(login for login, s in staff.items() if s.role == role)

        return cls(staff, of_role("subscriber_head"), of_role("director"))

    def responsible(self, ticket: Ticket) -> list[str]:
        login = ticket.handler_login or ticket.assignee_login
        return [login] if login in self.by_login else list(self.subscriber_heads)

    def deputy(self, ticket: Ticket) -> list[str]:
        owner = self.by_login.get(ticket.assignee_login or "")
        return [owner.deputy_login] if owner and owner.deputy_login in self.by_login else []

    def recipients(self, ticket: Ticket, clock: Clock, level: Level) -> tuple[str, ...]:
        if level == Level.WARNING:
            logins = self.responsible(ticket) + (self.directors if clock == Clock.LEGAL else [])
        elif clock == Clock.FIRST_RESPONSE:
            logins = self.deputy(ticket) + self.subscriber_heads
        elif clock == Clock.RESOLUTION:
            logins = list(self.subscriber_heads)
        else:  # legal and dispute: the director
            logins = list(self.directors)
        return tuple(dict.fromkeys(logins))

    def names(self, logins: Iterable[str]) -> str:
        return ", ".join(self.by_login[login].name for login in logins if login in self.by_login)


def _left(calendar: BusinessCalendar, clock: Clock, now: datetime, due: datetime) -> str:
    if clock in CALENDAR_CLOCKS:
        return f"{max(0, (due - now).days)} дн."
    hours = calendar.working_time_between(now, due).total_seconds() / 3600
    return f"{max(0.0, hours):.0f} раб. ч"


def note_of(calendar: BusinessCalendar, clock: Clock, level: Level, due: datetime, now: datetime,
            names: str) -> str:
    when = aware(due).astimezone(calendar.tz).strftime("%d.%m.%Y %H:%M")
    title = CLOCK_TITLES_RU[clock]
    if level == Level.WARNING:
        return f"Приближается срок {title}: {when}, осталось {_left(calendar, clock, now, aware(due))}."
    return f"Нарушен срок {title}: {when}. Эскалация: {names or 'некому сообщить — нет активных сотрудников'}."


def _due_of(ticket: Ticket, clock: Clock) -> datetime | None:
    return {Clock.FIRST_RESPONSE: ticket.first_response_due, Clock.RESOLUTION: ticket.resolution_due,
            Clock.LEGAL: ticket.legal_due, Clock.DISPUTE: ticket.dispute_due}[clock]


def _claim(session: Session, ids: list[int], now: datetime, outcome: str) -> set[int]:
    """Mark the timers fired, in one statement; only the rows still unfired come back (another replica
    may have claimed some meanwhile: its transaction's rows are skipped here)."""
    if not ids:
        return set()
    claimed = session.execute(
        update(SlaTimer).where(SlaTimer.id.in_(ids), SlaTimer.fired_at.is_(None))
        .values(fired_at=to_utc(now), outcome=outcome).returning(SlaTimer.id)
        .execution_options(synchronize_session=False))
    return set(claimed.scalars())


def tick(session: Session, calendar: BusinessCalendar, policy: SlaPolicy, now: datetime,
         limit: int = TICK_LIMIT) -> list[Fired]:
    """Fire what is due by `now` (the caller's transaction; the caller commits)."""
    timers = due_timers(session, now, limit)
    if not timers:
        return []
    tickets = {t.id: t for t in session.scalars(select(Ticket).where(
        Ticket.id.in_({timer.ticket_id for timer in timers})))}
    paused = [t.id for t in timers if t.clock in policy.pausing and tickets[t.ticket_id].waiting_for_client]
    if paused:  # paused meanwhile: nothing until the client replies and the due date moves
        session.execute(update(SlaTimer).where(SlaTimer.id.in_(paused)).values(fire_at=None)
                        .execution_options(synchronize_session=False))
    live = [t for t in timers if t.id not in set(paused)]
    runs = {t.id: running(tickets[t.ticket_id], t.clock) for t in live}
    claimed = (_claim(session, [t.id for t in live if runs[t.id]], now, "fired")
               | _claim(session, [t.id for t in live if not runs[t.id]], now, "stopped"))
    staffing = Staffing.load(session)
    fired: list[Fired] = []
    with session.no_autoflush:  # the rows below are inserted together at the commit
        for timer in (t for t in live if t.id in claimed):
            ticket = tickets[timer.ticket_id]
            recipients = staffing.recipients(ticket, timer.clock, timer.level) if runs[timer.id] else ()
            if runs[timer.id]:
                _record(session, calendar, ticket, timer.clock, timer.level, now, recipients, staffing)
            fired.append(Fired(ticket.number, timer.clock, timer.level, "fired" if runs[timer.id] else "stopped",
                               recipients))
    return fired


def _record(session: Session, calendar: BusinessCalendar, ticket: Ticket, clock: Clock, level: Level,
            now: datetime, recipients: tuple[str, ...], staffing: Staffing) -> None:
    due = _due_of(ticket, clock)
    assert due is not None, f"a {clock} timer of {ticket.number} without its due date"
    note = note_of(calendar, clock, level, due, now, staffing.names(recipients))
    at = to_utc(now)
    session.add(TicketHistory(ticket_id=ticket.id, at=at, actor=SLA_ACTOR, action=HISTORY_ACTIONS[level],
                              from_stage=ticket.stage, to_stage=ticket.stage, note=note))
    text = f"Претензия {ticket.number}. {note}"
    for login in recipients:
        session.add(StaffAlert(login=login, ticket_id=ticket.id, created_at=at, kind=ALERT_KINDS[level], text=text,
                               read_at=None))
        notice = staff_notice(login, ALERT_KINDS[level], ticket.number, text)
        add_outbox(session, NOTICES_SUBJECT, notice.model_dump(mode="json"), now, ticket.id)
