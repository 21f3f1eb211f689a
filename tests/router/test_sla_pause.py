"""The pause while a ticket waits for the client: `ask_client` stops the pausing clocks (by default the
resolution; the legal limit runs on), and the client's reply moves each paused due date by exactly the
working time it waited, its timers following. Both steps are in the history. SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from channels.base import Channel
from normalizer.event import ComplaintEvent, Identities
from router.calendar import BusinessCalendar
from router.models import SlaTimer, Ticket, TicketHistory
from router.review import client_replied, perform
from router.routing import RoutingPolicy, route_events
from router.sla import timers
from router.sla.policy import Clock, SlaPolicy
from tests.web.factories import seed_review_client, seed_review_staff, seed_review_ticket
from workers.app.runtime import Database

pytestmark = pytest.mark.usefixtures("database_url")
NUMBER = "C-2026-000001"
CALENDAR, POLICY = BusinessCalendar(), SlaPolicy()
# Company hours 09:00-18:00 Moscow (UTC+3), no lunch.
RESOLUTION = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)  # Mon 30 Nov 18:00 MSK
LEGAL = datetime(2027, 1, 22, 20, 59, 59, tzinfo=UTC)
ASKED = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # Tue 24 Nov 10:00 MSK
REPLIED = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # Thu 26 Nov 12:00 MSK
# Paused working time, by hand: Tue 10-18 (8 h) + Wed 9-18 (9 h) + Thu 9-12 (3 h) = 20 h.
# Resolution Mon 30 Nov 18:00 + 20 h: Tue 1 Dec 9-18 (9 h), Wed 2 Dec 9-18 (9 h), Thu 3 Dec 9-11 (2 h)
#   = Thu 3 Dec 11:00 MSK; its warning one working day (9 h) earlier: Thu 9-11 (2 h) + Wed 11-18 (7 h)
#   = Wed 2 Dec 11:00 MSK.
MOVED_RESOLUTION = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
MOVED_WARNING = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


async def seeded(database: Database) -> int:
    def work(session: Session) -> int:
        seed_review_staff(session)
        client = seed_review_client(session)
        ticket = seed_review_ticket(session, NUMBER, client_id=client.id, assignee="m.petrova", channel="web",
                                    stage="deep_review", department="technical", handler_login="h.technical",
                                    acknowledged_at=ASKED - timedelta(days=1))
        ticket.resolution_due, ticket.legal_due = RESOLUTION, LEGAL
        session.flush()
        timers.start(session, CALENDAR, POLICY, ticket.id, {Clock.RESOLUTION: RESOLUTION, Clock.LEGAL: LEGAL})
        return client.id
    return await database.run_transaction(work)


async def state(database: Database) -> tuple[Ticket, list[tuple[str, str]], dict[tuple[str, str], datetime | None]]:
    def work(session: Session) -> tuple[Ticket, list[tuple[str, str]], dict[tuple[str, str], datetime | None]]:
        ticket = session.scalar(select(Ticket).where(Ticket.number == NUMBER))
        assert ticket is not None
        history = [(h.action, h.note or "") for h in session.scalars(
            select(TicketHistory).where(TicketHistory.ticket_id == ticket.id).order_by(TicketHistory.id))]
        fire = {(t.clock, t.level): (t.fire_at.replace(tzinfo=UTC) if t.fire_at else None)
                for t in session.scalars(select(SlaTimer).where(SlaTimer.ticket_id == ticket.id))}
        return ticket, history, fire
    return await database.run_transaction(work)


async def ask(database: Database) -> None:
    await database.run_transaction(lambda s: perform(
        s, NUMBER, "h.technical", "ask_client", {"text": "С какого числа нет связи?"}, ASKED))


def reply(client_id: int) -> ComplaintEvent:
    return ComplaintEvent(event_id=uuid.uuid4(), submission_id=uuid.uuid4(), channel=Channel.WEB,
                          native_id=uuid.uuid4().hex, received_at=REPLIED, identities=Identities(client_id=client_id),
                          text="С 21 ноября", thread_refs=[NUMBER])


async def test_a_pause_and_a_resume_move_the_resolution_exactly(database: Database) -> None:
    client_id = await seeded(database)
    await ask(database)
    ticket, history, fire = await state(database)
    assert ticket.paused_at is not None and ticket.paused_at.replace(tzinfo=UTC) == ASKED
    assert history[-1][0] == "clock_paused" and "рассмотрения претензии" in history[-1][1]
    # The paused clock fires nothing; the legal limit does not pause by default.
    assert fire[("resolution", "warning")] is None and fire[("resolution", "breach")] is None
    assert fire[("legal", "breach")] == LEGAL

    await database.run_transaction(lambda s: route_events(s, [reply(client_id)], CALENDAR, REPLIED,
                                                          RoutingPolicy(sla=POLICY)))
    ticket, history, fire = await state(database)
    assert ticket.paused_at is None and ticket.waiting_for_client is False
    assert ticket.resolution_due.replace(tzinfo=UTC) == MOVED_RESOLUTION
    assert CALENDAR.working_time_between(RESOLUTION, MOVED_RESOLUTION) == CALENDAR.working_time_between(
        ASKED, REPLIED) == timedelta(hours=20)
    assert ticket.legal_due.replace(tzinfo=UTC) == LEGAL
    assert [a for a, _ in history][-3:] == ["follow_up", "client_replied", "clock_resumed"]
    assert "продлён на 20.0 раб. ч — до 03.12.2026 11:00" in history[-1][1]
    assert fire[("resolution", "breach")] == MOVED_RESOLUTION
    assert fire[("resolution", "warning")] == MOVED_WARNING


async def test_a_clock_configured_to_pause_moves_by_calendar_time(database: Database) -> None:
    """With the legal limit pausing too (a setting), it moves by the calendar time waited: 2 days 2 hours."""
    await seeded(database)
    both = SlaPolicy(pausing=frozenset({Clock.RESOLUTION, Clock.LEGAL}))
    await database.run_transaction(lambda s: perform(
        s, NUMBER, "h.technical", "ask_client", {"text": "Когда удобно принять мастера?"}, ASKED, sla=both))

    def replied(session: Session) -> bool:
        ticket = session.scalar(select(Ticket).where(Ticket.number == NUMBER))
        assert ticket is not None
        return client_replied(session, ticket, REPLIED, CALENDAR, both)
    assert await database.run_transaction(replied)
    ticket, history, fire = await state(database)
    assert ticket.legal_due.replace(tzinfo=UTC) == LEGAL + (REPLIED - ASKED)
    assert ticket.resolution_due.replace(tzinfo=UTC) == MOVED_RESOLUTION
    assert fire[("legal", "breach")] == LEGAL + (REPLIED - ASKED)
    assert [a for a, _ in history][-2:] == ["client_replied", "clock_resumed"]


async def test_concluding_without_the_clients_answer_ends_the_pause_too(database: Database) -> None:
    await seeded(database)
    await ask(database)
    await database.run_transaction(lambda s: perform(
        s, NUMBER, "h.technical", "conclude", {"causes": "Обрыв", "conclusion": "Обоснованна"}, REPLIED))
    ticket, history, fire = await state(database)
    assert ticket.paused_at is None and ticket.waiting_for_client is False
    assert ticket.resolution_due.replace(tzinfo=UTC) == MOVED_RESOLUTION  # the same 20 working hours
    assert [a for a, _ in history][-2:] == ["conclude", "clock_resumed"]
    assert fire[("resolution", "breach")] == MOVED_RESOLUTION
