"""The clocks start when the channel received the submission, in the working hours of the department that
takes the ticket. SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from channels.base import Channel
from normalizer.event import ComplaintEvent, Identities
from router.calendar import BusinessCalendar, WorkingHours
from router.models import Ticket
from router.routing import route_event
from tests.support.directory import IVANOV
from workers.app.runtime import Database

pytestmark = pytest.mark.usefixtures("database_url")
RECEIVED = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # Monday 13:00 in Moscow


def event(received_at: datetime) -> ComplaintEvent:
    return ComplaintEvent(event_id=uuid.uuid4(), submission_id=uuid.uuid4(), channel=Channel.WEB,
                          native_id=uuid.uuid4().hex, received_at=received_at,
                          identities=Identities(emails=[IVANOV.email]), text="Нет интернета")


async def routed(database: Database, received_at: datetime, now: datetime,
                 calendar: BusinessCalendar | None = None) -> Ticket:
    result = await database.run_transaction(
        lambda s: route_event(s, event(received_at), calendar or BusinessCalendar(), now))
    async with database.sessions() as session:
        ticket = await session.scalar(select(Ticket).where(Ticket.number == result.ticket_number))
    assert ticket is not None
    return ticket


def utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)


async def test_a_backlog_routed_two_days_late_keeps_the_clocks_of_its_receipt(seeded: Database) -> None:
    ticket = await routed(seeded, RECEIVED, RECEIVED + timedelta(days=2))
    assert utc(ticket.created_at) == RECEIVED  # shown as the registration time
    # Monday 13:00 + 8 working hours: 5 h Monday, 3 h Tuesday = Tue 24 Nov 12:00 MSK.
    assert utc(ticket.first_response_due) == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


async def test_a_receipt_time_ahead_of_ours_starts_the_clocks_now(seeded: Database) -> None:
    ticket = await routed(seeded, RECEIVED + timedelta(hours=3), RECEIVED)
    assert utc(ticket.created_at) == RECEIVED


async def test_the_departments_own_hours_count(seeded: Database) -> None:
    long_days = BusinessCalendar(department_hours={"subscriber": WorkingHours(time(8, 0), time(20, 0))})
    ticket = await routed(seeded, RECEIVED, RECEIVED, long_days)
    # 13:00-20:00 Monday is 7 h, then 1 h from 08:00 Tuesday = Tue 24 Nov 09:00 MSK (06:00 UTC).
    assert utc(ticket.first_response_due) == datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
    # The resolution ends with the 5th working day after Monday (Mon 30 Nov) at the department's 20:00.
    assert utc(ticket.resolution_due) == datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
