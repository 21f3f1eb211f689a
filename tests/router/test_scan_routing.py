"""A scanned letter's client is taken only on an exact number with a matching name and a good OCR;
otherwise the ticket waits in «Проверка скана» with the ranked candidates, nothing is sent to the unconfirmed
sender, and a person's confirmation sends it on to the personal manager. SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from channels.base import Channel
from normalizer.event import ComplaintEvent, Identities, ScanFacts, ScanFields
from router.calendar import BusinessCalendar
from router.models import Outbox, ScanReview, Ticket, TicketHistory
from router.review import Conflict, Forbidden
from router.routing import Outcome, route_event
from router.scan_review import confirm
from tests.support.directory import IVANOV
from workers.app.runtime import Database

pytestmark = pytest.mark.usefixtures("database_url")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
MSK = ZoneInfo("Europe/Moscow")
NAME = "Иванов Иван Иванович"  # IVANOV in tests/support/directory.py, contract 12-000001


def scan(contract: str | None, name: str | None = NAME, confidence: float = 91.0,
         reasons: list[str] | None = None) -> ComplaintEvent:
    needs = reasons is not None
    fields = ScanFields(sender_name=name, contract=contract, claim_demand="Прошу сделать перерасчёт")
    return ComplaintEvent(
        event_id=uuid.uuid4(), submission_id=uuid.uuid4(), channel=Channel.POST, native_id=f"scan:{uuid.uuid4().hex}",
        received_at=NOW, identities=Identities(contract_numbers=[contract] if contract else []),
        display_name=name, text=f"Договор {contract}. Нет интернета три дня. Прошу сделать перерасчёт. {name}",
        ocr_confidence=confidence,
        scan=ScanFacts(mean_confidence=confidence, fields=fields, needs_verification=needs, reasons=reasons or [],
                       blob_key="sha256:" + "0" * 64, page_keys=["sha256:" + "1" * 64]),
    )


async def route(database: Database, event: ComplaintEvent) -> tuple[Ticket, ScanReview | None, list[str]]:
    result = await database.run_transaction(lambda s: route_event(s, event, BusinessCalendar(), NOW))
    assert result.outcome == Outcome.CREATED

    def read(session: Session) -> tuple[Ticket, ScanReview | None, list[str]]:
        ticket = session.scalar(select(Ticket).where(Ticket.number == result.ticket_number))
        assert ticket is not None
        review = session.scalar(select(ScanReview).where(ScanReview.ticket_id == ticket.id))
        subjects = list(session.scalars(select(Outbox.subject).where(Outbox.ticket_id == ticket.id)))
        return ticket, review, subjects
    return await database.run_transaction(read)


async def test_an_exact_contract_with_the_name_goes_to_the_manager(seeded: Database) -> None:
    ticket, review, subjects = await route(seeded, scan(IVANOV.contract))
    assert review is None
    assert (ticket.assignee_login, ticket.stage) == ("m.petrova", "primary_review")
    assert "outbound.post" in subjects  # the acknowledgement, by letter to the directory's address


async def test_a_misread_digit_waits_for_a_person_with_the_right_client_on_top(seeded: Database) -> None:
    ticket, review, subjects = await route(seeded, scan("12-000007"))  # 1 read as 7
    assert review is not None and review.status == "pending"
    assert (ticket.client_id, ticket.assignee_login, ticket.stage) == (None, None, "registered")
    assert review.candidates[0]["name"] == NAME
    assert review.reasons
    assert not [s for s in subjects if s.startswith("outbound.")]  # nothing to an unconfirmed sender


async def test_the_right_number_under_another_name_or_a_poor_scan_is_checked(seeded: Database) -> None:
    _, other_name, _ = await route(seeded, scan(IVANOV.contract, name="Петров Пётр Петрович"))
    assert other_name is not None and other_name.candidates[0]["contract_number"] == IVANOV.contract
    _, poor, _ = await route(seeded, scan(IVANOV.contract, confidence=41.0,
                                          reasons=["низкое качество распознавания: 41%"]))
    assert poor is not None and "низкое качество распознавания: 41%" in poor.reasons


async def test_confirming_the_sender_sends_the_ticket_to_the_manager(seeded: Database) -> None:
    ticket, review, _ = await route(seeded, scan("12-000007"))
    assert review is not None
    client_id = review.candidates[0]["client_id"]
    with pytest.raises(Forbidden):
        await seeded.run_transaction(lambda s: confirm(s, ticket.number, "nobody", client_id, {}, NOW, MSK))
    await seeded.run_transaction(lambda s: confirm(
        s, ticket.number, "op.anna", client_id, {"contract": IVANOV.contract}, NOW, MSK))

    def read(session: Session) -> tuple[Ticket, ScanReview, list[str]]:
        row = session.scalar(select(Ticket).where(Ticket.number == ticket.number))
        done = session.scalar(select(ScanReview).where(ScanReview.ticket_id == ticket.id))
        assert row is not None and done is not None
        actions = list(session.scalars(select(TicketHistory.action).where(TicketHistory.ticket_id == ticket.id)
                                       .order_by(TicketHistory.id)))
        return row, done, actions
    row, done, actions = await seeded.run_transaction(read)
    assert (row.client_id, row.assignee_login, row.stage) == (client_id, "m.petrova", "primary_review")
    assert (done.status, done.confirmed_by, done.fields["contract"]) == ("confirmed", "op.anna", IVANOV.contract)
    assert actions[-2:] == ["scan_verified", "primary_review"]
    with pytest.raises(Conflict):
        await seeded.run_transaction(lambda s: confirm(s, ticket.number, "op.anna", client_id, {}, NOW, MSK))
