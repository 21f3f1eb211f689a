"""route_event() inside one transaction, on SQLite and PostgreSQL: assignment, threading, idempotency."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from channels.base import Channel
from normalizer.event import ComplaintEvent, Identities
from router.calendar import BusinessCalendar
from router.models import Outbox, Submission, Ticket
from router.routing import Outcome, RouteResult, route_event
from tests.support.directory import IVANOV, KUZNETSOV, SIDOROVA
from workers.app.runtime import Database

pytestmark = pytest.mark.usefixtures("database_url")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def event(native_id: str, text: str = "Жалоба", refs: list[str] | None = None, auto: bool = False,
          **ids: list[str]) -> ComplaintEvent:
    return ComplaintEvent(
        event_id=uuid.uuid4(), submission_id=uuid.uuid4(), channel=Channel.WEB, native_id=native_id,
        received_at=NOW, identities=Identities(**ids), text=text, thread_refs=refs or [], auto_generated=auto,
    )


async def route(database: Database, ev: ComplaintEvent) -> RouteResult:
    return await database.run_transaction(lambda session: route_event(session, ev, BusinessCalendar(), NOW))


async def test_assignment_rules(seeded: Database) -> None:
    personal = await route(seeded, event("a", emails=[IVANOV.email]))
    deputy = await route(seeded, event("b", phones=[SIDOROVA.phone]))
    fallback = await route(seeded, event("c", contract_numbers=[KUZNETSOV.contract]))
    unknown = await route(seeded, event("d", emails=["nobody@example.org"]))
    assert personal.assignee == "m.petrova"
    assert deputy.assignee == "m.volkov"  # manager inactive -> deputy
    # manager and deputy inactive -> the least-loaded active manager (m.idle has no open tickets)
    assert fallback.assignee == "m.idle"
    assert unknown.outcome == Outcome.CREATED and unknown.assignee is None


async def test_least_loaded_manager_takes_turns(seeded: Database) -> None:
    results = [await route(seeded, event(f"k{i}", contract_numbers=[KUZNETSOV.contract])) for i in range(3)]
    # m.idle, then m.volkov and m.petrova... each gets one while loads are equal.
    assert len({r.assignee for r in results}) == 3


async def test_numbers_are_sequential_per_year(seeded: Database) -> None:
    numbers = [(await route(seeded, event(f"n{i}", emails=[IVANOV.email]))).ticket_number for i in range(3)]
    assert numbers == ["C-2026-000001", "C-2026-000002", "C-2026-000003"]


async def test_duplicate_native_id_is_a_no_op(seeded: Database) -> None:
    first = await route(seeded, event("same", emails=[IVANOV.email]))
    second = await route(seeded, event("same", emails=[IVANOV.email]))
    assert first.outcome == Outcome.CREATED and second.outcome == Outcome.DUPLICATE
    async with seeded.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Ticket)) == 1
        # ack + TicketEvents created and stage_changed (on to primary review)
        assert await session.scalar(select(func.count()).select_from(Outbox)) == 3


async def test_reference_to_another_clients_ticket_does_not_thread(seeded: Database) -> None:
    theirs = await route(seeded, event("x1", emails=[IVANOV.email]))
    mine = await route(seeded, event("x2", refs=[theirs.ticket_number or ""], emails=[SIDOROVA.email]))
    assert mine.outcome == Outcome.CREATED and mine.ticket_number != theirs.ticket_number


async def test_reference_to_a_closed_ticket_opens_a_linked_one(seeded: Database) -> None:
    old = await route(seeded, event("c1", emails=[IVANOV.email]))
    async with seeded.sessions() as session, session.begin():
        ticket = await session.scalar(select(Ticket).where(Ticket.number == old.ticket_number))
        assert ticket is not None
        ticket.status, ticket.stage = "closed", "closed"
    new = await route(seeded, event("c2", refs=[old.ticket_number or ""], emails=[IVANOV.email]))
    async with seeded.sessions() as session:
        linked = await session.scalar(select(Ticket).where(Ticket.number == new.ticket_number))
    assert new.outcome == Outcome.CREATED and linked is not None
    assert linked.parent_ticket_id == ticket.id


async def test_auto_generated_mail_makes_no_ticket_and_no_reply(seeded: Database) -> None:
    result = await route(seeded, event("robot", auto=True, emails=[IVANOV.email]))
    assert result.outcome == Outcome.AUTO_GENERATED
    async with seeded.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Ticket)) == 0
        assert await session.scalar(select(func.count()).select_from(Outbox)) == 0
        assert await session.scalar(select(func.count()).select_from(Submission)) == 1


async def test_acknowledgement_is_russian_with_number_and_deadline(seeded: Database) -> None:
    result = await route(seeded, event("ack", emails=[IVANOV.email]))
    async with seeded.sessions() as session:
        reply = await session.scalar(select(Outbox).where(Outbox.subject == "outbound.web"))
    assert reply is not None
    text = reply.payload["text"]
    assert result.ticket_number in text
    assert "Здравствуйте, Иванов Иван Иванович!" in text
    # 13:00 MSK Monday + 8 working hours: 5 h today, 3 h on Tuesday; 5 working days end on Monday 30th.
    assert "не позднее 24.11.2026 12:00" in text
    assert "до 30.11.2026 18:00" in text
