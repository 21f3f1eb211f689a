"""TicketEvents carry the ticket's snapshot, on SQLite and PostgreSQL: every event type, from routing and from
the review's actions, matches the ticket row as it stands once the event is written."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from channels.base import Channel
from normalizer.event import ComplaintEvent, Identities, ReplyTarget
from router.calendar import BusinessCalendar
from router.contracts import TicketEvent, TicketEventType
from router.models import Client, ClientIdentity, Outbox, Ticket
from router.review import perform
from router.routing import Outcome, RouteResult, route_events
from router.timeutil import aware
from tests.web.factories import seed_review_client, seed_review_staff
from workers.app.runtime import Database

pytestmark = pytest.mark.usefixtures("database_url")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday
CONTRACT = "12-000001"
PHONE = "+79161110001"  # the client's, as the platform proved it is the sender's own (a verified contact)
VK_USER = "555"

SNAPSHOT_KEYS = {"number", "client", "assignee", "handler", "department", "stage", "status", "channel", "category",
                 "subject", "text", "created_at", "waiting_for_client", "director_pending", "deadlines"}
DEADLINE_KEYS = {"first_response", "resolution", "legal", "acknowledged_at", "resolved_at", "dispute"}


def message(text: str, *, at: datetime = NOW, contracts: list[str] | None = None,
            refs: list[str] | None = None, verified: list[str] | None = None) -> ComplaintEvent:
    native = uuid.uuid4().hex[:8]
    return ComplaintEvent(
        event_id=uuid.uuid4(), submission_id=uuid.uuid4(), channel=Channel.VK, native_id=f"1:{native}",
        received_at=at, text=text, subject="Интернет", category="connection",
        identities=Identities(vk_ids=[VK_USER], contract_numbers=contracts or [], phones=verified or [],
                              verified_phones=verified or []),
        reply_to=ReplyTarget(address=VK_USER, message_id=native), content_id=f"{VK_USER}:{native}",
        thread_refs=refs or [],
    )


def expected(ticket: Ticket, client: Client | None) -> dict[str, Any]:
    """The snapshot the row calls for, written out field by field."""
    def when(value: datetime | None) -> datetime | None:
        return aware(value) if value is not None else None
    return {
        "number": ticket.number,
        "client": {"id": client.id, "contract_number": client.contract_number} if client is not None else None,
        "assignee": ticket.assignee_login, "handler": ticket.handler_login, "department": ticket.department,
        "stage": ticket.stage, "status": ticket.status, "channel": ticket.channel, "category": ticket.category,
        "subject": ticket.subject, "text": ticket.text, "created_at": aware(ticket.created_at),
        "waiting_for_client": ticket.waiting_for_client, "director_pending": ticket.director_pending,
        "deadlines": {
            "first_response": aware(ticket.first_response_due), "resolution": aware(ticket.resolution_due),
            "legal": aware(ticket.legal_due), "acknowledged_at": when(ticket.acknowledged_at),
            "resolved_at": when(ticket.resolved_at), "dispute": when(ticket.dispute_due),
        },
    }


class Events:
    """The ticket's TicketEvents in the outbox; each check compares the new ones with the row."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.seen: set[int] = set()
        self.types: list[str] = []

    async def new(self, number: str | None) -> list[str]:
        def work(session: Session) -> list[str]:
            ticket = session.scalar(select(Ticket).where(Ticket.number == number))
            assert ticket is not None
            client = session.get(Client, ticket.client_id) if ticket.client_id is not None else None
            rows = session.scalars(select(Outbox).where(
                Outbox.ticket_id == ticket.id, Outbox.subject.like("tickets.events.%")).order_by(Outbox.id))
            found = []
            for row in rows:
                if row.id in self.seen:
                    continue
                self.seen.add(row.id)
                payload = row.payload
                assert row.subject == f"tickets.events.{payload['type']}"
                assert payload["schema_version"] == 2 and payload["ticket_number"] == ticket.number
                assert set(payload["ticket"]) == SNAPSHOT_KEYS
                assert set(payload["ticket"]["deadlines"]) == DEADLINE_KEYS
                event = TicketEvent.model_validate(payload)
                assert event.ticket.model_dump() == expected(ticket, client), payload["type"]
                assert (event.stage, event.assignee, event.client_id) == (ticket.stage, ticket.assignee_login,
                                                                          ticket.client_id)
                found.append(payload["type"])
            self.types += found
            return found
        return await self.database.run_transaction(work)


@pytest.fixture
async def seeded(database: Database) -> Database:
    def work(session: Session) -> None:
        seed_review_staff(session)
        client = seed_review_client(session, contract=CONTRACT)
        session.add(ClientIdentity(client_id=client.id, kind="contract", value=CONTRACT))
        session.add(ClientIdentity(client_id=client.id, kind="phone", value=PHONE))
    await database.run_transaction(work)
    return database


async def route(database: Database, event: ComplaintEvent, at: datetime = NOW) -> RouteResult:
    [result] = await database.run_transaction(
        lambda session: route_events(session, [event], BusinessCalendar(), at))
    return result


async def test_every_event_carries_the_snapshot_of_the_ticket(seeded: Database) -> None:
    database, events = seeded, Events(seeded)
    # Routing: an unknown VK account makes a queue ticket, then names its contract (handed to the manager).
    created = await route(database, message("Второй день нет интернета"))
    number = created.ticket_number
    assert created.outcome == Outcome.CREATED and created.assignee is None
    assert await events.new(number) == ["created"]
    # A typed contract number is only a claim (issue 12): the account is linked once the platform proves
    # a number of the client's is the sender's own.
    named = await route(database, message("Мой номер телефона", verified=[PHONE]))
    assert (named.outcome, named.assignee) == (Outcome.FOLLOW_UP, "m.petrova")
    # Handed to the manager, it starts its primary review (both events carry the ticket as it ends).
    assert await events.new(number) == ["assigned", "stage_changed", "follow_up"]

    async def act(actor: str, action: str, hours: int, **fields: Any) -> list[str]:
        await database.run_transaction(
            lambda session: perform(session, number or "", actor, action, fields, NOW + timedelta(hours=hours)))
        return await events.new(number)

    # The review: each transition a stage_changed, a reassignment an assigned, any other action an updated.
    assert await act("m.petrova", "acknowledge", 2) == ["updated"]  # already at primary_review
    assert await act("m.petrova", "send_to_department", 3, department="technical", note="Авария?") == [
        "stage_changed"]
    assert await act("h.technical", "ask_client", 4, text="С какого числа нет связи?") == ["updated"]
    # The client's reply in the chat ends the wait; the follow_up's snapshot shows it.
    answered = await route(database, message("С 21 ноября"), NOW + timedelta(hours=5))
    assert answered.outcome == Outcome.FOLLOW_UP
    assert await events.new(number) == ["follow_up"]
    assert await act("h.subscriber", "reassign", 6, login="m.volkov") == ["assigned"]
    assert await act("h.technical", "conclude", 7, causes="Обрыв", conclusion="Обоснованна") == ["stage_changed"]
    assert await act("m.volkov", "propose", 8, founded=True, conclusion="Перерасчёт") == ["stage_changed"]
    assert await act("h.subscriber", "decide", 9, founded=True, conclusion="Перерасчёт за 3 дня",
                     needs_director=True) == ["updated"]
    assert await act("d.director", "approve", 10) == ["stage_changed"]
    assert await act("m.volkov", "inform", 11) == ["stage_changed"]
    # A reply inside the dispute window reopens it at dispute.
    disputed = await route(database, message("Не согласен", refs=[number or ""]), NOW + timedelta(days=2))
    assert disputed.outcome == Outcome.REOPENED
    assert await events.new(number) == ["stage_changed", "reopened", "follow_up"]

    assert set(events.types) == set(TicketEventType)


async def test_a_new_ticket_of_a_known_client_names_the_client(seeded: Database) -> None:
    events = Events(seeded)
    created = await route(seeded, message(f"Договор {CONTRACT}, нет интернета", contracts=[CONTRACT],
                                          verified=[PHONE]))
    assert created.assignee == "m.petrova"
    assert await events.new(created.ticket_number) == ["created", "stage_changed"]

    def payload(session: Session) -> dict[str, Any]:
        row = session.scalar(select(Outbox.payload).where(Outbox.subject == "tickets.events.created"))
        assert row is not None
        return row
    snapshot = (await seeded.run_transaction(payload))["ticket"]
    assert snapshot["client"]["contract_number"] == CONTRACT
    # Routed to the personal manager: the ticket as the transaction leaves it, at primary review.
    assert (snapshot["stage"], snapshot["status"], snapshot["channel"]) == ("primary_review", "open", "vk")
    assert snapshot["handler"] == "m.petrova"
    assert snapshot["deadlines"]["acknowledged_at"] is None and snapshot["deadlines"]["resolved_at"] is None
