"""The email sender on a real aiosmtpd, a real nats-server and SQLite/PostgreSQL: headers, injection,
the per-address cap, temporary failures retried without resending the rest, an unreachable relay.

A permanent refusal recorded on the ticket, and what every sender promises: tests/channels/email/test_contract.py."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from email import policy
from email.header import decode_header, make_header
from email.parser import BytesParser

import pytest
from nats.js import JetStreamContext
from sqlalchemy import select, update

from channels.base import Channel
from channels.email.config import SmtpConfig
from normalizer.event import ComplaintEvent, Identities, ReplyTarget
from router.models import Client, Delivery, SentMessage, TicketHistory
from tests.support.directory import IVANOV, SIDOROVA
from tests.support.outbound import NOW, Outbound, outbound_streams
from tests.support.smtp import SmtpServer, smtp_server
from workers.app.runtime import Database
from workers.app.settings import Settings
from workers.channels.email.sender import EmailSender, clean_subject, references, reply_subject, valid_address
from workers.channels.senders.selection import Senders

pytestmark = pytest.mark.usefixtures("database_url")
DOMAIN = "claims.example.ru"


def mail(uid: int, address: str, subject: str = "Нет интернета", refs: list[str] | None = None,
         ids: list[str] | None = None) -> ComplaintEvent:
    message_id = f"<m{uid}@client.example.ru>"
    return ComplaintEvent(
        event_id=uuid.uuid4(), submission_id=uuid.uuid4(), channel=Channel.EMAIL, native_id=f"claims:1:{uid}",
        received_at=NOW, identities=Identities(emails=ids if ids is not None else [address]), subject=subject,
        text="Нет интернета третий день", content_id=message_id,
        reply_to=ReplyTarget(address=address, message_id=message_id, references=refs or [], subject=subject),
    )


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


def sender(smtp: SmtpServer, cap: int = 40) -> Senders:
    config = SmtpConfig(host=smtp.host, port=smtp.port, start_tls=False, timeout=5.0,
                        from_address="claims@example.ru", from_name="Служба по работе с претензиями",
                        message_id_domain=DOMAIN)
    return Senders({"email": EmailSender(config, cap)})


@pytest.fixture
async def js(nats_url: str) -> AsyncIterator[JetStreamContext]:
    async with outbound_streams(nats_url) as jetstream:
        yield jetstream


async def rows(database: Database, model: type, *order: object) -> list:  # type: ignore[type-arg]
    async with database.sessions() as session:
        return list((await session.scalars(select(model).order_by(*order))).all())  # type: ignore[arg-type]


async def test_the_reply_carries_exactly_the_threading_headers(
    seeded: Database, js: JetStreamContext, settings: Settings, smtp: SmtpServer
) -> None:
    out = Outbound(seeded, js, settings, sender(smtp))
    [outbox_id] = await out.route(mail(1, IVANOV.email, subject="Re: Нет интернета",
                                       refs=["<r0@client.example.ru>", "bad ref\r\nBcc: x@y.ru"]))
    assert await out.deliver(1) == ["sent"]
    [received] = smtp.received
    msg = received.message
    assert received.mail_from == "claims@example.ru" and received.rcpt_tos == [IVANOV.email]
    # RFC 2047 decoding as a mail client does it (CPython's display-name parser adds a space between
    # adjacent encoded words, which RFC 2047 says to drop).
    raw = BytesParser(policy=policy.compat32).parsebytes(received.data)
    assert str(make_header(decode_header(raw["From"]))) == "Служба по работе с претензиями <claims@example.ru>"
    assert msg["To"] == IVANOV.email
    assert msg["Subject"] == "Re: [C-2026-000001] Нет интернета"
    assert msg["Message-ID"] == f"<outbox-{outbox_id}.C-2026-000001@{DOMAIN}>"
    assert msg["In-Reply-To"] == "<m1@client.example.ru>"
    assert msg["References"] == "<r0@client.example.ru> <m1@client.example.ru>"
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg.get_content_type() == "text/plain" and msg.get_content_charset() == "utf-8"
    assert "Ваша претензия зарегистрирована под номером C-2026-000001" in msg.get_content()
    assert b"\r\nBcc:" not in received.data and received.data.isascii()  # encoded, nothing injected
    [sent] = await rows(seeded, SentMessage)
    [delivery] = await rows(seeded, Delivery)
    assert (sent.message_id, sent.status, sent.address, sent.outbox_id) == (
        msg["Message-ID"], "sent", IVANOV.email, outbox_id)
    assert (delivery.status, delivery.channel, delivery.address) == ("sent", "email", IVANOV.email)
    assert await out.pending() == (0, 0)


async def test_a_client_who_prefers_email_gets_the_post_acknowledgement_by_email(
    seeded: Database, js: JetStreamContext, settings: Settings, smtp: SmtpServer
) -> None:
    async with seeded.sessions() as session, session.begin():
        await session.execute(update(Client).where(Client.contract_number == IVANOV.contract)
                              .values(preferred_channel="email"))
    out = Outbound(seeded, js, settings, sender(smtp))
    # A letter by post has no way back in the gateway: the answer goes to the preferred electronic contact.
    web = ComplaintEvent(event_id=uuid.uuid4(), submission_id=uuid.uuid4(), channel=Channel.POST, native_id="w1",
                         received_at=NOW, identities=Identities(emails=[IVANOV.email]), text="Жалоба")
    await out.route(web)
    assert await out.deliver(1) == ["sent"]
    [received] = smtp.received
    assert received.rcpt_tos == [IVANOV.email]
    assert received.message["Subject"] == "[C-2026-000001] Ваша претензия"
    assert received.message["In-Reply-To"] is None and received.message["References"] is None


async def test_an_address_with_injected_headers_is_refused_and_recorded(
    seeded: Database, js: JetStreamContext, settings: Settings, smtp: SmtpServer
) -> None:
    out = Outbound(seeded, js, settings, sender(smtp))
    await out.route(mail(1, "victim@example.ru\r\nBcc: all@example.ru", ids=[],
                         subject="Жалоба\r\nBcc: all@example.ru"))
    assert await out.deliver(1) == ["failed"]
    assert smtp.received == []
    [delivery] = await rows(seeded, Delivery)
    assert delivery.status == "failed" and "некорректный адрес" in (delivery.detail or "")
    notes = [h.note for h in await rows(seeded, TicketHistory, TicketHistory.id) if h.action == "reply_not_sent"]
    assert len(notes) == 1 and "не отправлен" in (notes[0] or "")
    assert await rows(seeded, SentMessage) == []


def test_subjects_addresses_and_references_are_sanitised() -> None:
    assert reply_subject("C-2026-000001", "RE: Re: [C-2026-000001] Нет связи", True) == \
        "Re: [C-2026-000001] Нет связи"
    assert reply_subject("C-2026-000001", "Ответ: Жалоба\r\nBcc: x@y.ru", True) == \
        "Re: [C-2026-000001] Жалоба Bcc: x@y.ru"
    assert reply_subject("C-2026-000001", None, False) == "[C-2026-000001] Ваша претензия"
    assert len(clean_subject("Ж" * 5000)) == 150
    for bad in ["a@b.ru\r\nBcc: c@d.ru", "a@b.ru, c@d.ru", "Имя <a@b.ru>", '"a b"@c.ru', "a@b", "a..b@c.ru",
                "alice@example.org@evil.example", "пользователь@почта.рф", ""]:
        assert valid_address(bad) is None, bad
    assert valid_address("Ivan.Ivanov+claims@mail.example.ru") == "Ivan.Ivanov+claims@mail.example.ru"
    many = [f"<{i}@x>" for i in range(30)]
    target = ReplyTarget(address="a@b.ru", message_id="<m@x>",
                         references=["<a@x>", "<a@x>", "no-brackets@x", "<b@x>\r\nBcc: c@d", *many])
    refs = references(target)
    assert len(refs) == 20 and refs[0] == "<a@x>" and refs[-1] == "<m@x>"
    assert all("\n" not in r and r.startswith("<") for r in refs)


async def test_the_per_address_cap_stops_automatic_replies(
    seeded: Database, js: JetStreamContext, settings: Settings, smtp: SmtpServer
) -> None:
    out = Outbound(seeded, js, settings, sender(smtp, cap=2))
    await out.route(mail(1, IVANOV.email, subject="Первая"))
    assert await out.deliver(1) == ["sent"]
    await out.route(mail(2, IVANOV.email, subject="Вторая"), mail(3, IVANOV.email, subject="Третья"))
    assert await out.deliver(2) == ["sent", "suppressed"]  # the cap counts earlier batches and this one
    assert len(smtp.to(IVANOV.email)) == 2
    deliveries = await rows(seeded, Delivery, Delivery.outbox_id)
    assert [d.status for d in deliveries] == ["sent", "sent", "suppressed"]
    assert "лимит" in (deliveries[-1].detail or "")
    assert len(await rows(seeded, SentMessage)) == 2
    assert await out.pending() == (0, 0)


async def test_a_temporary_failure_is_retried_without_resending_the_rest_of_the_batch(
    seeded: Database, js: JetStreamContext, settings: Settings, smtp: SmtpServer
) -> None:
    out = Outbound(seeded, js, settings, sender(smtp))
    smtp.refuse(SIDOROVA.email, "451 4.3.0 Mailbox temporarily unavailable", times=1)
    await out.route(mail(1, IVANOV.email), mail(2, SIDOROVA.email), mail(3, "petrov@example.org"))
    assert await out.deliver(3) == ["sent", "retry", "sent"]
    assert len(smtp.received) == 2
    assert [d.address for d in await rows(seeded, Delivery, Delivery.outbox_id)] == [IVANOV.email, "petrov@example.org"]
    # Nak'ed with the backoff delay: only the refused reply comes back.
    assert await out.deliver(1) == ["sent"]
    for address in (IVANOV.email, SIDOROVA.email, "petrov@example.org"):
        assert len(smtp.to(address)) == 1, address
    assert smtp.attempts(SIDOROVA.email) == 2
    assert [d.status for d in await rows(seeded, Delivery)] == ["sent", "sent", "sent"]
    assert await out.pending() == (0, 0)


async def test_an_unreachable_relay_is_a_temporary_failure(
    seeded: Database, js: JetStreamContext, settings: Settings, smtp: SmtpServer
) -> None:
    config = SmtpConfig(host=smtp.host, port=1, start_tls=False, timeout=5.0, from_address="claims@example.ru")
    out = Outbound(seeded, js, settings, Senders({"email": EmailSender(config, 40)}))
    await out.route(mail(1, IVANOV.email))
    assert await out.deliver(1) == ["retry"]
    assert await rows(seeded, Delivery) == [] and await rows(seeded, SentMessage) == []
