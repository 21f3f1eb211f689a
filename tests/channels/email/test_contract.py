"""The channel contracts for email: the IMAP intake (a real dovecot) as a polling intake, and the SMTP sender
(a real aiosmtpd) with a recorded mail of tests/data/email."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from channels.base import RawSubmission
from channels.email.checkpoint import CHECKPOINTS, CheckpointStore
from channels.email.config import SmtpConfig
from channels.email.submission import mail_native_id, store_mail
from channels.positions import PositionStore
from normalizer.event import ComplaintEvent
from router.models import SentMessage
from tests.channels.contract.polling import PollingIntakeContract, Pushed
from tests.channels.contract.sender import SenderContract, Sent, normalized
from tests.channels.email.conftest import mail, mailbox_config, make_unreadable
from tests.support.dovecot import DovecotServer
from tests.support.outbound import NOW
from tests.support.smtp import SmtpServer, smtp_server
from workers.app.settings import Settings
from workers.channels.email.process import EmailProcess
from workers.channels.email.sender import EmailSender

DATA = Path(__file__).parents[2] / "data" / "email"
MAILBOX = "claims"
CLIENT = "maria@example.com"  # the sender of raw_utf8_headers.eml
DOMAIN = "claims.example.ru"


class TestEmailIntake(PollingIntakeContract):
    SHUNT_STAGE = "email_intake"
    BAD_REASON = "FETCH"
    IN_ORDER = False  # a batch of mails is published at once

    @pytest.fixture
    def intake_settings(self, settings: Settings, dovecot: DovecotServer) -> Settings:
        return settings.model_copy(update={"email_mailboxes": [mailbox_config(dovecot, user=MAILBOX)]})

    def make_intake(self) -> EmailProcess:
        return EmailProcess(self.settings, self.nats_url, imap_timeout=5.0)

    async def push(self) -> Pushed:
        n = next(self.numbers)
        raw_mail = mail(subject=f"Письмо {n}", message_id=f"m{n}@example.ru")
        uid = await self.server.append_async(raw_mail, user=MAILBOX)
        # The position is the checkpoint's last UID.
        return Pushed(mail_native_id(MAILBOX, self.server.uidvalidity(MAILBOX), uid), uid, raw_mail)

    async def push_bad(self) -> Pushed:
        marker = f"UNREADABLE-{next(self.numbers)}".encode()
        uid = await self.server.append_async(mail(subject=marker.decode()), user=MAILBOX)
        make_unreadable(self.server, marker)  # the server returns no bytes for it
        return Pushed(None, uid)

    async def checkpoints(self) -> CheckpointStore:
        return await PositionStore.open(self.js, CHECKPOINTS)

    async def saved_position(self) -> Any:
        checkpoint = await (await self.checkpoints()).load(MAILBOX)
        return checkpoint.last_uid if checkpoint is not None else None

    async def rewind(self, position: Any, pushed: list[Pushed]) -> None:
        store = await self.checkpoints()
        checkpoint = await store.load(MAILBOX)
        assert checkpoint is not None
        await store.save(MAILBOX, checkpoint.model_copy(update={"last_uid": position}))

    async def polling(self) -> bool:
        return await self.saved_position() is not None  # the first scan is done

    async def marked(self, pushed: Pushed) -> bool | None:
        return pushed.position in self.server.seen_uids(MAILBOX)

    async def check_handed_off(self, pushed: Pushed, raw: RawSubmission, headers: dict[str, str]) -> None:
        uid, uidvalidity = pushed.position, self.server.uidvalidity(MAILBOX)
        assert headers["Nats-Msg-Id"] == f"email:{MAILBOX}:{uidvalidity}:{uid}" == raw.dedup_key
        assert raw.channel == "email"
        assert raw.payload["mailbox"] == MAILBOX and raw.payload["uid"] == uid
        assert raw.payload["uidvalidity"] == uidvalidity and raw.payload["size"] == len(pushed.queued)
        assert raw.blob_keys == [raw.payload["blob_key"]]
        assert self.settings.blobs.get(raw.payload["blob_key"]) == pushed.queued  # the mail as it came


class TestEmailSender(SenderContract):
    CHANNEL = "email"
    CONVERSATION = CLIENT
    REPLY_TO = "<raw_utf8_headers@client.example.com>"  # In-Reply-To: the client's Message-ID
    WHERE = "по электронной почте"
    SPLIT_LIMIT = None
    REPEAT = "key"  # our own Message-ID, the same on every attempt: mail programs show it once

    @pytest.fixture
    def platform(self) -> Iterator[SmtpServer]:
        with smtp_server() as server:
            yield server

    @pytest.fixture(autouse=True)
    def _blobs(self, settings: Settings) -> None:
        self.blobs = settings.blobs

    def make_sender(self) -> EmailSender:
        config = SmtpConfig(host=self.server.host, port=self.server.port, start_tls=False, timeout=5.0,
                            from_address="claims@example.ru", message_id_domain=DOMAIN)
        return EmailSender(config, 40)

    def complaint(self) -> ComplaintEvent:
        data = (DATA / "raw_utf8_headers.eml").read_bytes()
        raw = store_mail(self.blobs, data, native_id=mail_native_id(MAILBOX, 1, 1), received_at=NOW)
        return normalized(raw, self.blobs)

    def sent(self) -> list[Sent]:
        return [Sent(r.rcpt_tos[0], r.message.get_content(), r.message["In-Reply-To"], r.message["Message-ID"])
                for r in self.server.received]

    def attempts(self) -> int:
        return int(self.server.attempts(CLIENT))

    def keys(self) -> list[str]:
        return [str(r.message["Message-ID"]) for r in self.server.received]

    def expected_key(self, outbox_id: int, ticket_number: str) -> str | None:
        return f"<outbox-{outbox_id}.{ticket_number}@{DOMAIN}>"

    def fail_for_a_while(self) -> tuple[int, int]:
        self.server.refuse(CLIENT, "451 4.3.0 Mailbox temporarily unavailable", times=1)
        return 1, 2

    def fail_for_good(self) -> tuple[str, ...]:
        self.server.refuse(CLIENT, f"550 5.1.1 <{CLIENT}>: User unknown")
        return "550 5.1.1", "User unknown"

    async def forget_sent(self, session: AsyncSession, outbox_id: int) -> None:
        await session.execute(delete(SentMessage).where(SentMessage.outbox_id == outbox_id))

    async def check_own_records(self, outbox_id: int, status: str) -> None:
        [sent] = await self.rows(SentMessage)
        number = await self.ticket_number()
        assert (sent.outbox_id, sent.status, sent.address) == (outbox_id, status, CLIENT)
        assert sent.message_id == self.expected_key(outbox_id, number)  # kept for threading and bounces
