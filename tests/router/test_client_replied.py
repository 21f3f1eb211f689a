"""The client's message in routing, on SQLite and PostgreSQL: a reply ends the review's wait for the client
(history "client_replied", in the routing transaction), and a reply inside the dispute window disputes the
decision as the `dispute` action does (the directors alerted, stage_changed with the snapshot)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from channels.base import Channel
from normalizer.event import ComplaintEvent, Identities
from router.calendar import BusinessCalendar
from router.models import Outbox, Staff, StaffAlert, Ticket, TicketHistory
from router.routing import Outcome, RouteResult, route_events
from tests.web.factories import seed_review_client, seed_review_staff, seed_review_ticket
from workers.app.runtime import Database

pytestmark = pytest.mark.usefixtures("database_url")
NOW = datetime(2025, 11, 10, 9, 0, tzinfo=UTC)
NUMBER = "C-2025-000001"
ASKED_AT = datetime(2025, 11, 6, 9, 0, tzinfo=UTC)


async def seeded(database: Database, **review: Any) -> int:
    """The review staff (with a second active director and a retired one), a client and the ticket."""
    def work(session: Session) -> int:
        seed_review_staff(session)
        session.add_all([
            Staff(login="d.second", name="Второв Пётр", role="director", department="management", active=True),
            Staff(login="d.retired", name="Бывший Директор", role="director", department="management",
                  active=False),
        ])
        client = seed_review_client(session)
        seed_review_ticket(session, NUMBER, client_id=client.id, assignee="m.petrova", channel="web", **review)
        return client.id
    return await database.run_transaction(work)


def reply(client_id: int, text: str = "Связи нет с 3 ноября") -> ComplaintEvent:
    return ComplaintEvent(
        event_id=uuid.uuid4(), submission_id=uuid.uuid4(), channel=Channel.WEB, native_id=uuid.uuid4().hex,
        received_at=NOW, identities=Identities(client_id=client_id), text=text, thread_refs=[NUMBER],
    )


async def route(database: Database, *events: ComplaintEvent) -> list[RouteResult]:
    return await database.run_transaction(lambda session: route_events(session, events, BusinessCalendar(), NOW))


async def state(database: Database) -> tuple[Ticket, list[TicketHistory], list[Outbox], list[StaffAlert]]:
    def work(session: Session) -> tuple[Ticket, list[TicketHistory], list[Outbox], list[StaffAlert]]:
        ticket = session.scalar(select(Ticket).where(Ticket.number == NUMBER))
        assert ticket is not None
        history = list(session.scalars(
            select(TicketHistory).where(TicketHistory.ticket_id == ticket.id).order_by(TicketHistory.id)))
        outbox = list(session.scalars(select(Outbox).where(Outbox.ticket_id == ticket.id).order_by(Outbox.id)))
        alerts = list(session.scalars(select(StaffAlert).order_by(StaffAlert.login)))
        return ticket, history, outbox, alerts
    return await database.run_transaction(work)


WAITING = {"stage": "deep_review", "department": "technical", "handler_login": "h.technical",
           "acknowledged_at": ASKED_AT - timedelta(days=1), "waiting_for_client": True}


async def test_a_reply_to_a_waiting_ticket_ends_the_wait(database: Database) -> None:
    client_id = await seeded(database, **WAITING)
    [result] = await route(database, reply(client_id))
    assert result == RouteResult(Outcome.FOLLOW_UP, NUMBER, "m.petrova")
    ticket, history, outbox, _ = await state(database)
    assert ticket.waiting_for_client is False
    assert (ticket.stage, ticket.handler_login, ticket.department) == ("deep_review", "h.technical", "technical")
    assert [h.action for h in history] == ["follow_up", "client_replied"]
    replied = history[1]
    assert (replied.from_stage, replied.to_stage, replied.actor) == ("deep_review", "deep_review", "channel:web")
    assert replied.note == "Клиент ответил на вопрос" and replied.submission_id == history[0].submission_id
    [event] = [row.payload for row in outbox if row.subject == "tickets.events.follow_up"]
    assert event["ticket"]["waiting_for_client"] is False  # the snapshot shows the wait over


async def test_two_replies_in_one_batch_end_the_wait_once(database: Database) -> None:
    client_id = await seeded(database, **WAITING)
    results = await route(database, reply(client_id, "Первое"), reply(client_id, "Второе"))
    assert [r.outcome for r in results] == [Outcome.FOLLOW_UP, Outcome.FOLLOW_UP]
    ticket, history, _, _ = await state(database)
    assert ticket.waiting_for_client is False
    assert [h.action for h in history] == ["follow_up", "client_replied", "follow_up"]


async def test_a_reply_to_a_ticket_not_waiting_is_only_a_follow_up(database: Database) -> None:
    client_id = await seeded(database, **{**WAITING, "waiting_for_client": False})
    [result] = await route(database, reply(client_id))
    assert result.outcome == Outcome.FOLLOW_UP
    ticket, history, outbox, alerts = await state(database)
    assert ticket.waiting_for_client is False
    assert [h.action for h in history] == ["follow_up"]
    assert [row.subject for row in outbox] == ["tickets.events.follow_up", "outbound.web"]
    assert alerts == []


async def test_a_reply_in_the_dispute_window_alerts_the_directors(database: Database) -> None:
    closed_at = NOW - timedelta(days=3)
    client_id = await seeded(database, stage="closed", status="closed", closed_at=closed_at, resolved_at=closed_at,
                             acknowledged_at=closed_at - timedelta(days=2), department="technical")
    [result] = await route(database, reply(client_id, "Не согласен с решением"))
    assert result == RouteResult(Outcome.REOPENED, NUMBER, "m.petrova")
    ticket, history, outbox, alerts = await state(database)
    assert (ticket.status, ticket.stage, ticket.closed_at) == ("open", "dispute", None)
    assert ticket.handler_login == "d.director"  # as the `dispute` action: the first active director
    assert [h.action for h in history] == ["reopened", "follow_up"]
    # Every active director, none retired: in-app alerts of kind "dispute" on the ticket.
    assert [(a.login, a.kind, a.ticket_id) for a in alerts] == [("d.director", "dispute", ticket.id),
                                                                ("d.second", "dispute", ticket.id)]
    assert all(NUMBER in a.text and a.read_at is None for a in alerts)
    notices = [row.payload for row in outbox if row.subject == "notices.staff"]
    outbox = [row for row in outbox if row.subject != "notices.staff"]
    assert [row.subject for row in outbox] == ["tickets.events.stage_changed", "tickets.events.reopened",
                                               "tickets.events.follow_up", "outbound.web"]
    # Each director's alert also goes to the notify worker, which emails it when SMTP is configured.
    assert [(n["login"], n["kind"], n["ticket_number"]) for n in notices] == [("d.director", "dispute", NUMBER),
                                                                            ("d.second", "dispute", NUMBER)]
    changed = outbox[0].payload
    assert (changed["type"], changed["stage"], changed["ticket_number"]) == ("stage_changed", "dispute", NUMBER)
    snapshot = changed["ticket"]
    assert (snapshot["stage"], snapshot["status"], snapshot["handler"]) == ("dispute", "open", "d.director")
    assert snapshot["client"] == {"id": client_id, "contract_number": "12-000001"}
    assert snapshot["deadlines"]["resolved_at"] is not None
