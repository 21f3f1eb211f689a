"""sla_timers rows: one per (ticket, clock, level), with the moment it fires. The sla worker reads the next
due ones by an index (never a scan of the tickets) and claims each with a conditional UPDATE, so a timer
fires exactly once across replicas and restarts. A timer of a paused clock has no moment (fire_at NULL)
until the client replies and the clock's due date has moved."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from router.calendar import BusinessCalendar
from router.models import SlaTimer
from router.sla.policy import Clock, Level, SlaPolicy
from router.timeutil import to_utc


def timer_rows(calendar: BusinessCalendar, policy: SlaPolicy, dues: Mapping[Clock, datetime],
               ticket_id: int | None = None) -> list[dict[str, Any]]:
    """The warning and breach timers of each clock (ticket_id None: filled in when the ticket is inserted)."""
    rows: list[dict[str, Any]] = []
    for clock, due in dues.items():
        for level, fire_at in ((Level.WARNING, policy.warning_at(calendar, clock, due)), (Level.BREACH, due)):
            rows.append({"ticket_id": ticket_id, "clock": clock.value, "level": level.value,
                         "fire_at": to_utc(fire_at), "fired_at": None, "outcome": None})
    return rows


def start(session: Session, calendar: BusinessCalendar, policy: SlaPolicy, ticket_id: int,
          dues: Mapping[Clock, datetime]) -> None:
    """Timers of clocks that start (again) now: a dispute's re-review is a new period, with its own warning
    and breach; what the clock's earlier period fired stays in the history."""
    session.execute(delete(SlaTimer).where(SlaTimer.ticket_id == ticket_id,
                                           SlaTimer.clock.in_([clock.value for clock in dues])))
    session.add_all(SlaTimer(**row) for row in timer_rows(calendar, policy, dues, ticket_id))


def suspend(session: Session, ticket_id: int, clocks: Iterable[Clock]) -> None:
    """A paused clock fires nothing until it resumes."""
    session.execute(update(SlaTimer).where(
        SlaTimer.ticket_id == ticket_id, SlaTimer.clock.in_([c.value for c in clocks]),
        SlaTimer.fired_at.is_(None)).values(fire_at=None))


def reschedule(session: Session, calendar: BusinessCalendar, policy: SlaPolicy, ticket_id: int,
               dues: Mapping[Clock, datetime]) -> None:
    """The clocks' due dates moved (a resumed pause): their unfired timers follow."""
    for row in timer_rows(calendar, policy, dues, ticket_id):
        session.execute(update(SlaTimer).where(
            SlaTimer.ticket_id == ticket_id, SlaTimer.clock == row["clock"], SlaTimer.level == row["level"],
            SlaTimer.fired_at.is_(None)).values(fire_at=row["fire_at"]))
