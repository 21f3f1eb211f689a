"""What routing sends the client is signed by a named person: the personal manager (or the deputy holding
the ticket), for a queue ticket the head of the subscriber department; a company is greeted without its
legal name; a phone complaint gets no receipt (read out on the call); a dispute goes to the director."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from channels.base import Channel
from normalizer.event import ComplaintEvent, Identities
from router.calendar import BusinessCalendar
from router.models import Client, Outbox, Ticket, TicketHistory
from router.routing import Outcome, RouteResult, route_event
from tests.support.directory import IVANOV, SIDOROVA
from workers.app.runtime import Database

pytestmark = pytest.mark.usefixtures("database_url")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def event(native_id: str, channel: Channel = Channel.WEB, refs: list[str] | None = None,
          **ids: list[str]) -> ComplaintEvent:
    return ComplaintEvent(event_id=uuid.uuid4(), submission_id=uuid.uuid4(), channel=channel, native_id=native_id,
                          received_at=NOW, identities=Identities(**ids), text="Нет интернета", thread_refs=refs or [])


async def route(database: Database, ev: ComplaintEvent, at: datetime = NOW) -> RouteResult:
    return await database.run_transaction(lambda session: route_event(session, ev, BusinessCalendar(), at))


async def answers(database: Database, number: str | None) -> list[dict[str, Any]]:
    async with database.sessions() as session:
        rows = (await session.scalars(select(Outbox.payload).join(Ticket, Ticket.id == Outbox.ticket_id).where(
            Ticket.number == number, Outbox.subject.like("outbound.%")).order_by(Outbox.id))).all()
    return list(rows)


async def test_the_acknowledgement_is_signed_by_the_personal_manager(seeded: Database) -> None:
    created = await route(seeded, event("a", emails=[IVANOV.email]))
    [ack] = await answers(seeded, created.ticket_number)
    assert ack["text"].startswith("Здравствуйте, Иванов Иван Иванович!")
    assert ack["text"].endswith("С уважением,\nM Petrova\nПерсональный менеджер")
    assert "служба качества" not in ack["text"]
    deputy = await route(seeded, event("b", phones=[SIDOROVA.phone]))  # her manager is away: the deputy
    [ack] = await answers(seeded, deputy.ticket_number)
    assert ack["text"].endswith("С уважением,\nM Volkov\nПерсональный менеджер")


async def test_a_queue_ticket_is_signed_by_the_subscriber_department(seeded: Database) -> None:
    queued = await route(seeded, event("q", emails=["stranger@example.org"]))
    assert queued.assignee is None
    [ack] = await answers(seeded, queued.ticket_number)
    assert ack["text"].endswith("С уважением,\nH Subscriber\nНачальник абонентского отдела")
    async with seeded.sessions() as session:
        stage = await session.scalar(select(Ticket.stage).where(Ticket.number == queued.ticket_number))
    assert stage == "registered"  # no manager: it waits in the queue for assign


async def test_a_company_is_greeted_without_its_legal_name(seeded: Database) -> None:
    async with seeded.sessions() as session, session.begin():
        await session.execute(update(Client).where(Client.contract_number == IVANOV.contract)
                              .values(name="ООО «Ромашка»", segment="business"))
    created = await route(seeded, event("c", emails=[IVANOV.email]))
    [ack] = await answers(seeded, created.ticket_number)
    assert ack["text"].startswith("Здравствуйте!\n") and "Ромашка" not in ack["text"]


async def test_a_phone_complaint_gets_no_receipt_to_call_back_with(seeded: Database) -> None:
    created = await route(seeded, event("call-1", Channel.PHONE, phones=[IVANOV.phone]))
    assert created.outcome == Outcome.CREATED and created.assignee == "m.petrova"
    assert await answers(seeded, created.ticket_number) == []
    async with seeded.sessions() as session:
        history = (await session.execute(select(TicketHistory.action, TicketHistory.to_stage).join(Ticket).where(
            Ticket.number == created.ticket_number).order_by(TicketHistory.id))).all()
    assert [tuple(h) for h in history] == [("registered", "registered"), ("primary_review", "primary_review")]


async def test_a_follow_up_and_a_dispute_reply_name_who_has_the_ticket(seeded: Database) -> None:
    created = await route(seeded, event("f1", emails=[IVANOV.email]))
    number = created.ticket_number or ""
    await route(seeded, event("f2", refs=[number], emails=[IVANOV.email]))
    follow_up = (await answers(seeded, number))[-1]["text"]
    assert "передано вашему персональному менеджеру" in follow_up and follow_up.endswith("Персональный менеджер")
    async with seeded.sessions() as session, session.begin():
        await session.execute(update(Ticket).where(Ticket.number == number).values(
            status="closed", stage="closed", closed_at=NOW))
    reopened = await route(seeded, event("f3", refs=[number], emails=[IVANOV.email]), NOW + timedelta(days=1))
    assert reopened.outcome == Outcome.REOPENED
    dispute = (await answers(seeded, number))[-1]["text"]
    assert "на пересмотр генеральному директору" in dispute and "персональному менеджеру" not in dispute
