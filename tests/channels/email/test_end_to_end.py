"""Email end to end on real servers: APPEND to dovecot -> ticket -> threaded reply received by aiosmtpd.

Also: a reply to our answer lands on the same ticket, an out-of-office answer to our reply gets no
reply, and a mail published again after a crash (or under a new UIDVALIDITY) makes no second ticket.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from channels.base import RawSubmission
from channels.email.config import SmtpConfig
from channels.email.submission import mail_native_id, store_mail
from router.models import Outbox, Submission, Ticket, TicketHistory
from tests.channels.email.conftest import mailbox_config
from tests.support.directory import IVANOV
from tests.support.dovecot import DovecotServer
from tests.support.gateway import seeded_gateway
from tests.support.smtp import SmtpServer, smtp_server
from tests.support.store import count
from tests.support.waiting import eventually
from workers.app.runtime import Database
from workers.app.settings import Settings
from workers.app.worker_set import WorkerSet
from workers.bus.shunt import ShuntedMessage, jetstream_of, list_shunted
from workers.channels.email.process import EmailProcess, publish_mail

pytestmark = pytest.mark.usefixtures("database_url")
CLAIMS = "claims@operator.example.ru"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def email_settings(settings: Settings, dovecot: DovecotServer, smtp: SmtpServer) -> Settings:
    return settings.model_copy(update={
        "email_mailboxes": [mailbox_config(dovecot)],
        "smtp": SmtpConfig(host=smtp.host, port=smtp.port, from_address=CLAIMS, start_tls=False),
    })


@pytest.fixture
async def gateway(email_settings: Settings, database: Database, nats_url: str) -> AsyncIterator[WorkerSet]:
    async with seeded_gateway(email_settings, database, nats_url) as workers:
        yield workers


@pytest.fixture
async def intake(gateway: WorkerSet, email_settings: Settings, nats_url: str) -> AsyncIterator[EmailProcess]:
    async with EmailProcess(email_settings, nats_url) as running:
        yield running


def mail(subject: str, body: str, *, message_id: str, sender: str = IVANOV.email, extra: str = "") -> bytes:
    return (
        f"From: =?utf-8?B?0JjQstCw0L3QvtCyINCY0LLQsNC9?= <{sender}>\r\nTo: {CLAIMS}\r\n"
        f"Subject: {subject}\r\nMessage-ID: {message_id}\r\nDate: Mon, 23 Nov 2026 10:00:00 +0300\r\n{extra}"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        f"{body}\r\n"
    ).encode()


async def submission(database: Database, content_id: str) -> Submission | None:
    async with database.sessions() as session:
        return await session.scalar(select(Submission).where(Submission.content_id == content_id))


async def ticket_of(database: Database, content_id: str) -> Ticket | None:
    async with database.sessions() as session:
        return await session.scalar(
            select(Ticket).join(Submission, Submission.ticket_id == Ticket.id)
            .where(Submission.content_id == content_id)
        )


async def test_mail_becomes_a_ticket_with_a_threaded_reply_and_follow_ups_thread(
    intake: EmailProcess, dovecot: DovecotServer, smtp: SmtpServer, database: Database
) -> None:
    first_id = f"<{uuid.uuid4().hex}@mail.example.ru>"
    await dovecot.append_async(mail("Нет интернета", "Второй день нет интернета по адресу Ленина 1.",
                                    message_id=first_id))

    ticket = await eventually(lambda: ticket_of(database, first_id))
    assert ticket.assignee_login == "m.petrova" and ticket.channel == "email"
    replies = await eventually(lambda: _async(smtp.to(IVANOV.email)))
    answer = replies[0].message
    assert f"[{ticket.number}]" in str(answer["Subject"]) and str(answer["Subject"]).startswith("Re: ")
    assert answer["In-Reply-To"] == first_id
    assert first_id in str(answer["References"])
    assert answer["Auto-Submitted"] == "auto-replied"
    assert ticket.number in answer.get_content()
    ours = str(answer["Message-ID"])
    # The mail is marked only after the PubAck; by now it is.
    assert await eventually(lambda: _async(dovecot.seen_uids()))

    # The client answers our reply (no ticket number in the text): same ticket, a follow-up.
    follow_id = f"<{uuid.uuid4().hex}@mail.example.ru>"
    await dovecot.append_async(mail(
        f"Re: {answer['Subject']}", "Дополняю: роутер перезагружал, не помогло.\r\n\r\n> старый текст",
        message_id=follow_id, extra=f"In-Reply-To: {ours}\r\nReferences: {first_id} {ours}\r\n",
    ))
    routed = await eventually(lambda: submission(database, follow_id))
    assert routed.ticket_id == ticket.id
    assert await count(database, Ticket) == 1
    assert await count(database, TicketHistory, TicketHistory.ticket_id == ticket.id,
                       TicketHistory.action == "follow_up") == 1
    second = await eventually(lambda: _async(smtp.to(IVANOV.email)[1:]))
    assert second[0].message["In-Reply-To"] == follow_id

    # An out-of-office answer to our reply: recorded, no ticket, nothing sent back to it.
    ooo_id = f"<{uuid.uuid4().hex}@mail.example.ru>"
    await dovecot.append_async(mail(
        "Автоответ: Re: Нет интернета", "Я в отпуске до 1 декабря.", message_id=ooo_id,
        extra=f"Auto-Submitted: auto-replied\r\nIn-Reply-To: {ours}\r\n",
    ))
    robot = await eventually(lambda: submission(database, ooo_id))
    assert robot.event["auto_generated"] is True
    assert await count(database, Ticket) == 1
    async with database.sessions() as session:
        outbound = list(await session.scalars(select(Outbox.payload).where(Outbox.subject.like("outbound.%"))))
    assert all(payload["in_reply_to"] != robot.native_id for payload in outbound)
    assert len(outbound) == 2


async def test_mail_published_again_after_a_crash_or_new_uidvalidity_makes_one_ticket(
    gateway: WorkerSet, email_settings: Settings, dovecot: DovecotServer, smtp: SmtpServer, database: Database,
    nats_url: str,
) -> None:
    message_id = f"<{uuid.uuid4().hex}@mail.example.ru>"
    raw_mail = mail("Двойное списание", "С меня дважды списали абонентскую плату.", message_id=message_id)
    uid = await dovecot.append_async(raw_mail)
    uidvalidity = dovecot.uidvalidity()
    js = jetstream_of(gateway.broker)
    # A crash after the PubAck and before \Seen: the mail is published but still unread on the server.
    crashed = store_mail(email_settings.blobs, raw_mail, native_id=mail_native_id("claims", uidvalidity, uid),
                         received_at=datetime.now(UTC))
    await publish_mail(js, crashed)
    await eventually(lambda: ticket_of(database, message_id))

    # After the restart the intake publishes it again (same Nats-Msg-Id: JetStream drops it) and marks it.
    async with EmailProcess(email_settings, nats_url):
        await eventually(lambda: _async(dovecot.seen_uids() == [uid]))
    # The same mail under another UIDVALIDITY (mailbox rebuilt): a new native id, the same Message-ID.
    rebuilt = store_mail(email_settings.blobs, raw_mail, native_id=mail_native_id("claims", uidvalidity + 1, uid),
                         received_at=datetime.now(UTC))
    await publish_mail(js, rebuilt)
    marker_id = f"<{uuid.uuid4().hex}@mail.example.ru>"
    await publish_mail(js, store_mail(
        email_settings.blobs, mail("Ещё вопрос", "Другая претензия.", message_id=marker_id),
        native_id=mail_native_id("claims", uidvalidity + 1, uid + 1), received_at=datetime.now(UTC)))
    await eventually(lambda: ticket_of(database, marker_id))  # routed after the re-published one

    assert await count(database, Submission, Submission.content_id == message_id) == 1
    assert await count(database, Ticket) == 2
    def answers_to_the_mail() -> int:
        return len([r for r in smtp.to(IVANOV.email) if r.message["In-Reply-To"] == message_id])

    await eventually(lambda: _async(answers_to_the_mail() >= 1))
    await eventually(lambda: _async(len(smtp.to(IVANOV.email)) >= 2))  # the marker's answer came after it
    assert answers_to_the_mail() == 1


async def _async(value: object) -> object:
    return value


async def test_unreadable_mail_is_kept_and_quarantined_with_the_reason(
    intake: EmailProcess, gateway: WorkerSet, email_settings: Settings, dovecot: DovecotServer, database: Database
) -> None:
    # A picture saved as .eml: no header at all (no NUL or bare CR: dovecot stores those changed).
    garbage = b"\x89PNG\x1a" + bytes(range(0x80, 0x100)) * 8 + b"\r\n"
    uid = await dovecot.append_async(garbage)

    js = jetstream_of(gateway.broker)

    async def quarantined() -> list[ShuntedMessage]:
        return [m for m in await list_shunted(js) if m.envelope.stage == "normalize"]

    [item] = await eventually(quarantined)
    raw = RawSubmission.model_validate_json(base64.b64decode(item.envelope.data_b64))
    assert raw.native_id == mail_native_id("claims", dovecot.uidvalidity(), uid)
    assert "BadSubmission" in item.envelope.reason
    assert email_settings.blobs.get(raw.payload["blob_key"]) == garbage  # the original is kept
    assert await eventually(lambda: _async(uid in dovecot.seen_uids()))  # handed off, so marked
    assert await count(database, Ticket) == 0
