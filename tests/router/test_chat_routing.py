"""Chat channels (VK, OK, Telegram) on SQLite and PostgreSQL: a chat continues its open ticket, an
unknown account is asked for its contract; a typed number is only a claim (the account learns nothing of the
client's, the ticket is marked for staff); the account is linked once the platform proves a number of the
client's is the sender's own (a Telegram contact card of the sender)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, update

from channels.base import Channel
from normalizer.event import ComplaintEvent, Identities, ReplyTarget
from router.calendar import BusinessCalendar
from router.identity_claims import CODE_SUBJECT
from router.models import Client, ClientIdentity, Outbox, Ticket, TicketHistory
from router.routing import Outcome, RouteResult, route_events
from tests.support.directory import IVANOV, SIDOROVA
from workers.app.runtime import Database

pytestmark = pytest.mark.usefixtures("database_url")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def chat(channel: Channel, user: str, text: str, *, peer: str | None = None, contracts: list[str] | None = None,
         phones: list[str] | None = None, category: str | None = None,
         verified: list[str] | None = None) -> ComplaintEvent:
    field = {Channel.VK: "vk_ids", Channel.OK: "ok_ids", Channel.TELEGRAM: "telegram_ids"}[channel]
    message = uuid.uuid4().hex[:8]
    return ComplaintEvent(
        event_id=uuid.uuid4(), submission_id=uuid.uuid4(), channel=channel, native_id=f"1:{message}",
        received_at=NOW, text=text, category=category,
        identities=Identities(**{field: [user]}, contract_numbers=contracts or [],
                              phones=(phones or []) + (verified or []), verified_phones=verified or []),
        reply_to=ReplyTarget(address=peer or user, message_id=message), content_id=f"{peer or user}:{message}",
    )


async def route(database: Database, *events: ComplaintEvent) -> list[RouteResult]:
    return await database.run_transaction(lambda s: route_events(s, events, BusinessCalendar(), NOW))


async def ticket_of(database: Database, number: str | None) -> Ticket:
    async with database.sessions() as session:
        ticket = await session.scalar(select(Ticket).where(Ticket.number == number))
    assert ticket is not None
    return ticket


async def replies_of(database: Database, number: str | None) -> list[str]:
    ticket = await ticket_of(database, number)
    async with database.sessions() as session:
        payloads = await session.scalars(select(Outbox.payload).where(
            Outbox.ticket_id == ticket.id, Outbox.subject.like("outbound.%"), Outbox.subject != CODE_SUBJECT)
            .order_by(Outbox.id))
        return [payload["text"] for payload in payloads]


async def test_a_typed_contract_is_a_claim_that_reveals_nothing_of_the_client(seeded: Database) -> None:
    [first] = await route(seeded, chat(Channel.VK, "555", "Второй день нет интернета"))
    assert first.outcome is Outcome.CREATED and first.assignee is None  # the subscriber department queue
    assert "номер договора" in (await replies_of(seeded, first.ticket_number))[0]

    [more] = await route(seeded, chat(Channel.VK, "555", "Роутер перезагружал, не помогло"))
    assert (more.outcome, more.ticket_number) == (Outcome.FOLLOW_UP, first.ticket_number)

    [named] = await route(seeded, chat(Channel.VK, "555", f"Мой договор {IVANOV.contract}",
                                       contracts=[IVANOV.contract]))
    assert (named.outcome, named.ticket_number, named.assignee) == (Outcome.FOLLOW_UP, first.ticket_number, None)
    ticket = await ticket_of(seeded, first.ticket_number)
    async with seeded.sessions() as session:
        linked = await session.scalar(select(ClientIdentity.client_id).where(
            ClientIdentity.kind == "vk", ClientIdentity.value == "555"))
        claims = list(await session.scalars(select(TicketHistory.note).where(
            TicketHistory.ticket_id == ticket.id, TicketHistory.action == "identity_claimed")))
    assert linked is None and (ticket.client_id, ticket.assignee_login) == (None, None)
    assert len(claims) == 1 and IVANOV.contract in (claims[0] or "")  # marked for staff, on the ticket
    reply = (await replies_of(seeded, first.ticket_number))[-1]
    assert "Иванов" not in reply and IVANOV.contract not in reply and "убедимся" in reply

    # A new chat of the same account that names the number at once: a queue ticket, nothing revealed.
    [again] = await route(seeded, chat(Channel.VK, "555", f"Договор {IVANOV.contract}, нет связи", peer="2000000001",
                                       contracts=[IVANOV.contract]))
    assert again.outcome is Outcome.CREATED and again.assignee is None
    assert all("Иванов" not in text for text in await replies_of(seeded, again.ticket_number))


async def test_a_verified_own_number_links_the_account_and_hands_the_chat_over(seeded: Database) -> None:
    [first] = await route(seeded, chat(Channel.TELEGRAM, "555", "Второй день нет интернета"))
    [shared] = await route(seeded, chat(Channel.TELEGRAM, "555", "Мой номер", verified=[IVANOV.phone]))
    assert (shared.outcome, shared.ticket_number, shared.assignee) == (Outcome.FOLLOW_UP, first.ticket_number,
                                                                      "m.petrova")
    ticket = await ticket_of(seeded, first.ticket_number)
    async with seeded.sessions() as session:
        ivanov = await session.scalar(select(Client.id).where(Client.contract_number == IVANOV.contract))
        linked = await session.scalar(select(ClientIdentity.client_id).where(
            ClientIdentity.kind == "telegram", ClientIdentity.value == "555"))
        handed_over = await session.scalar(select(func.count()).select_from(TicketHistory).where(
            TicketHistory.ticket_id == ticket.id, TicketHistory.action == "assigned"))
    assert linked == ivanov and (ticket.client_id, ticket.assignee_login) == (ivanov, "m.petrova")
    assert handed_over == 1
    assert "нашли ваш договор" in (await replies_of(seeded, first.ticket_number))[-1]

    # From now on the account itself identifies the client, in any chat.
    [later] = await route(seeded, chat(Channel.TELEGRAM, "555", "И ещё вопрос по счёту", peer="2000000001"))
    assert later.outcome is Outcome.CREATED and later.assignee == "m.petrova"


async def test_a_chat_continues_only_its_open_ticket(seeded: Database) -> None:
    [first] = await route(seeded, chat(Channel.TELEGRAM, "777", "Нет связи", contracts=[SIDOROVA.contract]))
    [other_chat] = await route(seeded, chat(Channel.TELEGRAM, "778", "Нет связи"))
    assert other_chat.ticket_number != first.ticket_number
    async with seeded.sessions() as session, session.begin():
        await session.execute(update(Ticket).where(Ticket.number == first.ticket_number)
                              .values(status="closed", stage="closed", closed_at=None))
    [after_close] = await route(seeded, chat(Channel.TELEGRAM, "777", "Снова нет связи"))
    assert after_close.outcome is Outcome.CREATED and after_close.ticket_number != first.ticket_number


async def test_two_messages_of_one_chat_in_one_batch_make_one_ticket(seeded: Database) -> None:
    first, second = await route(seeded, chat(Channel.OK, "user:1", "Нет интернета", peer="chat:9"),
                                chat(Channel.OK, "user:1", "Уже третий день", peer="chat:9"))
    assert first.outcome is Outcome.CREATED
    assert (second.outcome, second.ticket_number) == (Outcome.FOLLOW_UP, first.ticket_number)


async def test_a_shared_contact_links_the_account_without_a_ticket(seeded: Database) -> None:
    [shared] = await route(seeded, chat(Channel.TELEGRAM, "900", "(клиент поделился номером телефона)",
                                        verified=[SIDOROVA.phone], category="contact"))
    assert shared.outcome is Outcome.RECORDED
    async with seeded.sessions() as session:
        tickets = await session.scalar(select(func.count()).select_from(Ticket))
        linked = await session.scalar(select(ClientIdentity.client_id).where(
            ClientIdentity.kind == "telegram", ClientIdentity.value == "900"))
    assert tickets == 0 and linked is not None
    [complaint] = await route(seeded, chat(Channel.TELEGRAM, "900", "Списали деньги дважды"))
    assert complaint.outcome is Outcome.CREATED and complaint.assignee is not None


async def test_an_account_already_linked_to_someone_else_is_not_moved(seeded: Database) -> None:
    await route(seeded, chat(Channel.VK, "600", "Жалоба", verified=[IVANOV.phone]))  # links 600 -> Ivanov
    [other] = await route(seeded, chat(Channel.VK, "600", "Договор Сидоровой", contracts=[SIDOROVA.contract]))
    async with seeded.sessions() as session:
        owners = list(await session.scalars(select(ClientIdentity.client_id).where(
            ClientIdentity.kind == "vk", ClientIdentity.value == "600")))
        ivanov = await session.scalar(select(Client.id).where(Client.contract_number == IVANOV.contract))
    assert owners == [ivanov]
    assert other.outcome is Outcome.FOLLOW_UP
