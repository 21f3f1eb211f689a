"""Identity claims of chat accounts (router.identity_claims) on SQLite and PostgreSQL: a typed contract makes a
one-time code go to the client's registered email (made and mailed by the deliver worker, on a real aiosmtpd and
nats-server), never to the chat; the same account sending it back is linked and greeted by name; wrong, used-up
and expired codes, and a code sent by another account, link nothing; a client without email is left to staff;
an account making too many claims gets no more codes. Every message is kept on the ticket."""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import pytest
from nats.js import JetStreamContext
from sqlalchemy import delete, func, select, update

from channels.base import Channel
from channels.email.config import SmtpConfig
from normalizer.event import ComplaintEvent, Identities, ReplyTarget
from router.identity_claims import CODE_SUBJECT, MAX_ATTEMPTS, code_in, issue_code
from router.models import (
    Client,
    ClientIdentity,
    Delivery,
    IdentityClaim,
    Outbox,
    Submission,
    Ticket,
    TicketHistory,
)
from tests.support.directory import IVANOV, SIDOROVA, SMIRNOV
from tests.support.outbound import NOW, Outbound, outbound_streams
from tests.support.smtp import SmtpServer, smtp_server
from workers.app.runtime import Database
from workers.app.settings import Settings
from workers.channels.email.sender import EmailSender
from workers.channels.senders.selection import Senders

pytestmark = pytest.mark.usefixtures("database_url")


def chat(user: str, text: str, *, peer: str | None = None, contracts: list[str] | None = None,
         channel: Channel = Channel.VK) -> ComplaintEvent:
    field = {Channel.VK: "vk_ids", Channel.OK: "ok_ids", Channel.TELEGRAM: "telegram_ids"}[channel]
    message = uuid.uuid4().hex[:8]
    return ComplaintEvent(
        event_id=uuid.uuid4(), submission_id=uuid.uuid4(), channel=channel, native_id=f"1:{message}",
        received_at=NOW, text=text,
        identities=Identities(**{field: [user]}, contract_numbers=contracts or []),
        reply_to=ReplyTarget(address=peer or user, message_id=message), content_id=f"{peer or user}:{message}",
    )


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture
async def js(nats_url: str) -> AsyncIterator[JetStreamContext]:
    async with outbound_streams(nats_url) as jetstream:
        yield jetstream


@pytest.fixture
def out(seeded: Database, js: JetStreamContext, settings: Settings, smtp: SmtpServer) -> Outbound:
    config = SmtpConfig(host=smtp.host, port=smtp.port, start_tls=False, timeout=5.0,
                        from_address="claims@example.ru", from_name="Служба по работе с претензиями",
                        message_id_domain="claims.example.ru")
    return Outbound(seeded, js, settings, Senders({"email": EmailSender(config, 40)}), codes=True)


async def send(out: Outbound, event: ComplaintEvent) -> list[str]:
    """Route one event and deliver what it made (the code mail through the deliver worker's path)."""
    ids = await out.route(event)
    return await out.deliver(len(ids)) if ids else []


async def chat_replies(database: Database) -> list[str]:
    async with database.sessions() as session:
        payloads = await session.scalars(select(Outbox.payload).where(
            Outbox.subject.like("outbound.%"), Outbox.subject != CODE_SUBJECT).order_by(Outbox.id))
        return [payload["text"] for payload in payloads]


async def claims(database: Database) -> list[IdentityClaim]:
    async with database.sessions() as session:
        return list(await session.scalars(select(IdentityClaim).order_by(IdentityClaim.id)))


async def ticket(database: Database, number: str | None = None) -> Ticket:
    async with database.sessions() as session:
        found = await session.scalar(select(Ticket).where(Ticket.number == number) if number
                                     else select(Ticket).order_by(Ticket.id).limit(1))
    assert found is not None
    return found


async def history(database: Database, action: str) -> list[str]:
    async with database.sessions() as session:
        return [note or "" for note in await session.scalars(
            select(TicketHistory.note).where(TicketHistory.action == action).order_by(TicketHistory.id))]


async def linked(database: Database, value: str, kind: str = "vk") -> int | None:
    async with database.sessions() as session:
        return await session.scalar(select(ClientIdentity.client_id).where(
            ClientIdentity.kind == kind, ClientIdentity.value == value))


async def client_id(database: Database, contract: str) -> int:
    async with database.sessions() as session:
        found = await session.scalar(select(Client.id).where(Client.contract_number == contract))
    assert found is not None
    return found


async def everything_stored(database: Database) -> str:
    """Every outbox payload and history note, as text (where a code must never be before the client types it)."""
    async with database.sessions() as session:
        payloads = [json.dumps(p, ensure_ascii=False) for p in await session.scalars(select(Outbox.payload))]
        notes = [n or "" for n in await session.scalars(select(TicketHistory.note))]
        deliveries = [f"{d.address} {d.detail}" for d in await session.scalars(select(Delivery))]
    return "\n".join(payloads + notes + deliveries)


def mailed_code(smtp: SmtpServer, address: str) -> str:
    [received] = smtp.to(address)
    body = received.message.get_body(("plain",))
    assert body is not None
    found = re.findall(r"^\s*(\d{6})\s*$", body.get_content(), re.MULTILINE)
    assert len(found) == 1, "one code, on a line of its own"
    return str(found[0])


async def issue(database: Database, claim: IdentityClaim) -> str:
    """The code the deliver worker would mail for the claim (its hash stored), for tests without SMTP."""
    issued = await database.run_transaction(lambda s: issue_code(s, claim.key, NOW, {claim.client_id: "x@x.ru"}))
    assert not isinstance(issued, str)
    return issued.code


async def test_the_code_goes_only_to_the_clients_email_and_the_right_code_links_and_greets(
    out: Outbound, seeded: Database, smtp: SmtpServer, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    await send(out, chat("555", "Второй день нет интернета"))
    statuses = await send(out, chat("555", f"Мой договор {IVANOV.contract}", contracts=[IVANOV.contract]))
    assert "sent" in statuses  # the code mail (the chat reply goes to a call-back without a VK sender)

    code = mailed_code(smtp, IVANOV.email)
    [mail] = smtp.to(IVANOV.email)
    text = mail.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "ВКонтакте (id 555)" in text and "проигнорируйте" in text and "позвоните оператору" in text
    assert "нет интернета" not in text.lower()  # nothing of what the unverified account wrote
    [claim] = await claims(seeded)
    assert (claim.status, claim.method, claim.attempts) == ("pending", "email", 0)
    assert claim.code_hash and code not in claim.code_hash and claim.code_expires_at is not None

    # Nowhere but in the mail: not the chat, not the outbox or the bus payloads, not the history, not a log line.
    replies = await chat_replies(seeded)
    assert "отправили одноразовый код" in replies[-1] and "указанный в договоре" in replies[-1]
    assert all(code not in reply and "@" not in reply and "Иван" not in reply for reply in replies)
    assert code not in await everything_stored(seeded)
    assert code not in caplog.text
    number = (await ticket(seeded)).number
    assert (await ticket(seeded, number)).client_id is None
    assert await history(seeded, "identity_code_sent")

    await send(out, chat("555", f"  {code[:3]} {code[3:]} "))
    ivanov = await client_id(seeded, IVANOV.contract)
    assert await linked(seeded, "555") == ivanov
    handed = await ticket(seeded, number)
    assert (handed.client_id, handed.assignee_login, handed.stage) == (ivanov, "m.petrova", "primary_review")
    reply = (await chat_replies(seeded))[-1]
    assert reply.startswith("Здравствуйте, Иванов Иван Иванович!") and "личность подтверждена" in reply
    assert await history(seeded, "identity_verified") == ["Личность подтверждена кодом из письма."]
    assert (await claims(seeded))[0].status == "verified"
    async with seeded.sessions() as session:  # the code message itself is kept on the ticket
        kept = await session.scalar(select(func.count()).select_from(Submission).where(
            Submission.ticket_id == handed.id))
    assert kept == 3


async def test_wrong_codes_count_down_then_nothing_links(seeded: Database, out: Outbound) -> None:
    await out.route(chat("556", f"Договор {IVANOV.contract}, нет связи", contracts=[IVANOV.contract]))
    [claim] = await claims(seeded)
    code = await issue(seeded, claim)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    await out.route(chat("556", wrong))
    assert "Код неверный" in (reply := (await chat_replies(seeded))[-1]) and f"попыток: {MAX_ATTEMPTS - 1}" in reply
    assert (await claims(seeded))[0].attempts == 1
    for _ in range(MAX_ATTEMPTS - 1):
        await out.route(chat("556", wrong))
    assert "больше не действует" in (await chat_replies(seeded))[-1]
    await out.route(chat("556", code))  # the right code, too late
    assert "больше не действует" in (await chat_replies(seeded))[-1]
    assert await linked(seeded, "556") is None
    [claim] = await claims(seeded)
    assert (claim.status, claim.attempts) == ("pending", MAX_ATTEMPTS)  # still for staff to decide
    assert (await ticket(seeded)).client_id is None
    assert len(await history(seeded, "identity_code_rejected")) == MAX_ATTEMPTS + 1
    assert len(await history(seeded, "follow_up")) == MAX_ATTEMPTS + 1  # every message kept on the ticket


async def test_an_expired_code_links_nothing(seeded: Database, out: Outbound) -> None:
    await out.route(chat("557", f"Договор {IVANOV.contract}", contracts=[IVANOV.contract]))
    [claim] = await claims(seeded)
    code = await issue(seeded, claim)
    async with seeded.sessions() as session, session.begin():
        await session.execute(update(IdentityClaim).values(code_expires_at=NOW - timedelta(minutes=1)))
    await out.route(chat("557", code))
    assert "истёк" in (await chat_replies(seeded))[-1]
    assert await linked(seeded, "557") is None and (await ticket(seeded)).client_id is None


async def test_the_code_sent_by_another_account_links_nobody(seeded: Database, out: Outbound) -> None:
    await out.route(chat("558", f"Договор {IVANOV.contract}", contracts=[IVANOV.contract]))
    [claim] = await claims(seeded)
    code = await issue(seeded, claim)
    await out.route(chat("999", code))  # someone who saw the code, in a chat of their own
    assert await linked(seeded, "999") is None and await linked(seeded, "558") is None
    assert (await claims(seeded))[0].status == "pending"
    async with seeded.sessions() as session:
        owners = list(await session.scalars(select(Ticket.client_id)))
    assert owners == [None, None]  # the claim's ticket and the other account's own new ticket
    assert "Иван" not in (await chat_replies(seeded))[-1]


async def test_a_client_without_email_is_left_to_staff(seeded: Database, out: Outbound) -> None:
    sidorova = await client_id(seeded, SIDOROVA.contract)
    async with seeded.sessions() as session, session.begin():
        await session.execute(delete(ClientIdentity).where(ClientIdentity.client_id == sidorova,
                                                           ClientIdentity.kind == "email"))
    await out.route(chat("560", "Нет связи"))
    await out.route(chat("560", f"Договор {SIDOROVA.contract}", contracts=[SIDOROVA.contract]))
    [claim] = await claims(seeded)
    assert (claim.method, claim.status, claim.code_hash) == ("staff", "pending", None)
    reply = (await chat_replies(seeded))[-1]
    assert "специалист проверит" in reply and "код" not in reply.lower()
    async with seeded.sessions() as session:
        codes = await session.scalar(select(func.count()).select_from(Outbox).where(Outbox.subject == CODE_SUBJECT))
    assert codes == 0


async def test_too_many_claims_of_one_account_get_no_more_codes(seeded: Database, out: Outbound) -> None:
    for peer, person in (("2000000001", IVANOV), ("2000000002", SIDOROVA), ("2000000003", SMIRNOV)):
        await out.route(chat("561", f"Договор {person.contract}", peer=peer, contracts=[person.contract]))
    assert [c.method for c in await claims(seeded)] == ["email"] * 3

    await out.route(chat("561", f"Тогда договор {IVANOV.contract}", peer="2000000004", contracts=[IVANOV.contract]))
    limited = (await claims(seeded))[-1]
    assert (limited.method, limited.status) == ("limited", "pending")  # still marked for staff
    reply = (await chat_replies(seeded))[-1]
    assert "слишком много попыток" in reply and "специалист проверит" in reply
    assert len(await history(seeded, "identity_claim_refused")) == 1
    async with seeded.sessions() as session:
        codes = await session.scalar(select(func.count()).select_from(Outbox).where(Outbox.subject == CODE_SUBJECT))
        kept = await session.scalar(select(func.count()).select_from(Ticket).where(
            Ticket.text.like("Тогда договор%")))
    assert codes == 3 and kept == 1  # no fourth code; the message made its ticket all the same


async def test_the_same_claim_again_sends_no_second_code(seeded: Database, out: Outbound) -> None:
    await out.route(chat("562", f"Договор {IVANOV.contract}", contracts=[IVANOV.contract]))
    await out.route(chat("562", f"Повторяю: договор {IVANOV.contract}", contracts=[IVANOV.contract]))
    assert len(await claims(seeded)) == 1
    assert "уже отправлен" in (await chat_replies(seeded))[-1]


def test_only_a_bare_six_digit_message_is_a_code() -> None:
    assert code_in("123456") == "123456" and code_in(" 123 456 ") == "123456" and code_in("12-34-56") == "123456"
    assert code_in("код 123456") is None and code_in("12345") is None and code_in("1234567") is None
    assert code_in("") is None and code_in("   ") is None
