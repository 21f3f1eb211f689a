"""SenderContract: what every reply sender promises (email over SMTP, VK, OK, Telegram), written once, run
per channel.

A recorded complaint of the channel (tests/data/<channel>/, normalized like the pipeline does) is routed
on a real database; its reply goes to OUTBOUND on a real nats-server and is pulled and delivered exactly as
the deliver worker does it (tests/support/outbound.py), with the channel's sender talking to the channel's
fake server. A channel provides the hooks: its sender, the complaint, what its fake server received, how to
make that server fail for a while or for good, and what the channel does about a repeated send.

Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from channels.base import RawSubmission
from channels.blobs import BlobStore
from normalizer import normalize
from normalizer.config import NormalizerConfig
from normalizer.event import ComplaintEvent
from router.contracts import OutboundMessage
from router.models import Delivery, StaffAlert, Ticket, TicketHistory
from tests.support.directory import seed_directory
from tests.support.outbound import Outbound, outbound_streams
from tests.support.waiting import eventually
from workers.app.runtime import Database
from workers.app.settings import Settings
from workers.channels.registry import normalizer_steps
from workers.channels.senders.selection import Senders
from workers.stages.deliver import mark_sending, plan_batch


def normalized(raw: RawSubmission, blobs: BlobStore | None = None) -> ComplaintEvent:
    """A recorded submission as the normalize stage makes it an event (default configuration)."""
    return normalize(raw, config=NormalizerConfig(), channel_steps=normalizer_steps(), blobs=blobs)


@dataclass(frozen=True)
class Sent:
    """One message as the fake platform received it: in which conversation, the text, which message of the
    client it answers (None: none), and its idempotency key (None: the channel has none)."""

    conversation: str
    text: str
    reply_to: str | None = None
    key: str | None = None


@pytest.mark.usefixtures("database_url")
class SenderContract:
    CHANNEL: ClassVar[str]
    CONVERSATION: ClassVar[str]  # where the answer to complaint() must go (the Delivery's address too)
    REPLY_TO: ClassVar[str | None]  # the client's message it answers, where the channel quotes it
    WHERE: ClassVar[str]  # how the ticket history names the channel
    SPLIT_LIMIT: ClassVar[int | None]  # longer texts go out in parts of at most this many characters
    # What makes a repeated send safe: "key" (the same idempotency key on every attempt), "uncertain" (no
    # key: a send whose outcome is unknown is never repeated but marked uncertain), None (neither).
    REPEAT: ClassVar[Literal["key", "uncertain"] | None]
    MANAGER: ClassVar[str | None] = None  # ("uncertain") the manager of complaint()'s client, who is alerted

    # --- hooks a channel provides, and a `platform` fixture (its conftest, or the class): the platform's server,
    # fake or real, kept as self.server

    def make_sender(self) -> Any:
        """The channel's PlatformSender talking to self.server."""
        raise NotImplementedError

    def complaint(self) -> ComplaintEvent:
        """A recorded complaint of the channel, normalized."""
        raise NotImplementedError

    async def seed(self, database: Database) -> None:
        async with database.sessions() as session, session.begin():
            await seed_directory(session)

    def sent(self) -> list[Sent]:
        """What reached the client, in order."""
        raise NotImplementedError

    def attempts(self) -> int:
        """How many times the sender tried to hand a message to the platform."""
        raise NotImplementedError

    def keys(self) -> list[str]:
        """The idempotency key of every attempt the platform saw ([] where there is none)."""
        return []

    def expected_key(self, outbox_id: int, ticket_number: str) -> str | None:
        return None

    def fail_for_a_while(self) -> tuple[int, int]:
        """Make the next sends fail temporarily; (deliveries that end in a retry, platform attempts in all)."""
        raise NotImplementedError

    def fail_for_good(self) -> tuple[str, ...]:
        """Make the next send be refused for good; what the delivery's detail and the history must say."""
        raise NotImplementedError

    def answer_too_late(self) -> None:
        """(REPEAT == "uncertain") The platform takes the next message but answers after the sender's timeout."""
        raise NotImplementedError

    async def forget_sent(self, session: AsyncSession, outbox_id: int) -> None:
        """The sender's own rows of a reply, dropped as if the worker died after sending, before recording."""

    async def check_own_records(self, outbox_id: int, status: str) -> None:
        """Channel-specific rows the sender keeps of a reply."""

    # --- the harness

    @pytest.fixture(autouse=True)
    async def _sender(self, database: Database, settings: Settings, nats_url: str,
                      platform: Any) -> AsyncIterator[None]:
        self.database, self.server = database, platform
        await self.seed(database)
        async with outbound_streams(nats_url) as js:
            self.out = Outbound(database, js, settings, Senders({self.CHANNEL: self.make_sender()}))
            yield

    async def rows(self, model: type, *where: Any) -> list[Any]:
        async with self.database.sessions() as session:
            return list(await session.scalars(select(model).where(*where)))

    async def ticket_number(self) -> str:
        async with self.database.sessions() as session:
            number = await session.scalar(select(Ticket.number))
        assert number is not None
        return str(number)

    async def settled(self) -> bool:
        """Every reply pulled is acknowledged (acks reach the consumer asynchronously) and none is waiting."""
        return await self.out.pending() == (0, 0)

    async def history(self, action: str) -> list[str]:
        return [h.note or "" for h in await self.rows(TicketHistory, TicketHistory.action == action)]

    # --- the contract

    async def test_a_reply_arrives_in_the_conversation(self) -> None:
        [outbox_id] = await self.out.route(self.complaint())
        assert await self.out.deliver(1) == ["sent"]
        number = await self.ticket_number()
        [sent] = self.sent()
        assert (sent.conversation, sent.reply_to) == (self.CONVERSATION, self.REPLY_TO)
        assert number in sent.text
        assert sent.key == self.expected_key(outbox_id, number)
        [delivery] = await self.rows(Delivery)
        assert (delivery.outbox_id, delivery.status, delivery.channel, delivery.address) == (
            outbox_id, "sent", self.CHANNEL, self.CONVERSATION)
        await self.check_own_records(outbox_id, "sent")
        await eventually(self.settled)

    async def test_a_retry_of_the_same_outbox_id_does_not_send_it_twice(self) -> None:
        if self.REPEAT is None:
            pytest.skip(f"{self.CHANNEL}: no idempotency key and no way to tell an unknown outcome (at least once)")
        if self.REPEAT == "uncertain":
            await self._unknown_outcome_is_uncertain_and_not_repeated()
            return
        [outbox_id] = await self.out.route(self.complaint())
        assert await self.out.deliver(1) == ["sent"]
        number = await self.ticket_number()
        async with self.database.sessions() as session, session.begin():  # sent, then the worker died
            await session.execute(delete(Delivery).where(Delivery.outbox_id == outbox_id))
            await self.forget_sent(session, outbox_id)
        await self.out.relay(outbox_id)  # ...so the same reply comes back
        assert await self.out.deliver(1) == ["sent"]
        assert self.attempts() == 2
        assert self.keys() == [self.expected_key(outbox_id, number)] * 2  # the same key both times
        assert len({(s.conversation, s.key) for s in self.sent()}) == 1  # so the client has it once
        await eventually(self.settled)

    async def test_a_worker_killed_while_sending_never_sends_a_reply_twice(self) -> None:
        [outbox_id] = await self.out.route(self.complaint())
        # An attempt's first transaction committed, then its process was SIGKILLed while sending: whether the
        # platform got the reply is unknown, and nothing of the outcome was recorded.
        message = OutboundMessage.model_validate(self.out.payloads[outbox_id][1])
        sender = self.out.senders.platform[self.CHANNEL]

        def killed_attempt(session: Session) -> None:  # what a reply's attempt commits before it is sent
            plan = plan_batch(session, [message], self.out.senders)
            if not sender.resend_safe:
                mark_sending(session, sender.channel, list(plan.replies.values()))

        await self.database.run_transaction(killed_attempt)
        statuses = await self.out.deliver(1)  # the redelivered reply
        [delivery] = await self.rows(Delivery)
        if self.make_sender().resend_safe:  # a resend is dropped by its key: sent (again), once to the client
            assert statuses == ["sent"] and delivery.status == "sent"
            assert len(self.sent()) == 1
        else:  # no key: never sent a second time, but left for staff to check
            assert statuses == ["duplicate"] and self.attempts() == 0 and self.sent() == []
            assert (delivery.outbox_id, delivery.status) == (outbox_id, "uncertain")
            assert "повторно не отправлялся" in (delivery.detail or "")
            assert len(await self.history("reply_uncertain")) == 1
        await eventually(self.settled)

    async def _unknown_outcome_is_uncertain_and_not_repeated(self) -> None:
        self.answer_too_late()
        [outbox_id] = await self.out.route(self.complaint())
        assert await self.out.deliver(1) == ["uncertain"]
        [delivery] = await self.rows(Delivery)
        assert (delivery.outbox_id, delivery.status, delivery.address) == (outbox_id, "uncertain", self.CONVERSATION)
        assert "повторно не отправлялся" in (delivery.detail or "")
        assert self.attempts() == 1 and len(self.sent()) == 1  # it did arrive: a blind retry would double it
        await eventually(self.settled)  # acked: never sent again
        [ticket] = await self.rows(Ticket)
        assert len(await self.history("reply_uncertain")) == 1
        [alert] = await self.rows(StaffAlert, StaffAlert.ticket_id == ticket.id)
        assert (alert.login, alert.kind) == (ticket.assignee_login, "reply_uncertain")
        assert self.MANAGER is not None and alert.login == self.MANAGER
        assert ticket.number in alert.text and self.WHERE in alert.text

    async def test_a_temporary_failure_is_retried(self) -> None:
        retries, attempts = self.fail_for_a_while()
        [outbox_id] = await self.out.route(self.complaint())
        statuses = [status for _ in range(retries + 1) for status in await self.out.deliver(1)]
        assert statuses == ["retry"] * retries + ["sent"]
        assert self.attempts() == attempts
        assert len(self.sent()) == 1
        number = await self.ticket_number()
        assert number in self.sent()[0].text
        assert set(self.keys()) <= {self.expected_key(outbox_id, number)}  # every attempt under the same key
        assert [d.status for d in await self.rows(Delivery)] == ["sent"]
        await self.check_own_records(outbox_id, "sent")
        await eventually(self.settled)

    async def test_a_permanent_failure_is_recorded_on_the_ticket(self) -> None:
        said = self.fail_for_good()
        [outbox_id] = await self.out.route(self.complaint())
        assert await self.out.deliver(1) == ["failed"]
        [delivery] = await self.rows(Delivery)
        assert (delivery.outbox_id, delivery.status, delivery.channel) == (outbox_id, "failed", self.CHANNEL)
        [note] = await self.history("reply_not_sent")
        assert note.startswith("Ответ клиенту") and self.WHERE in note and "не отправлен" in note
        for words in said:
            assert words in (delivery.detail or "") and words in note
        assert self.attempts() == 1 and self.sent() == []
        await self.check_own_records(outbox_id, "failed")
        await eventually(self.settled)

    async def test_a_long_text_is_split_where_the_channel_splits(self) -> None:
        text = "\n\n".join(f"Пункт {i}. " + "Подробное объяснение причин. " * 60 for i in range(10))
        [outbox_id] = await self.out.route(self.complaint(), text=text)
        assert await self.out.deliver(1) == ["sent"]
        parts = self.sent()
        if self.SPLIT_LIMIT is None:
            assert len(parts) == 1
        else:
            assert len(text) > 2 * self.SPLIT_LIMIT
            assert len(parts) >= 3 and all(len(part.text) <= self.SPLIT_LIMIT for part in parts)
        assert " ".join(part.text for part in parts).split() == text.split()  # all of it, in order
        assert {part.conversation for part in parts} == {self.CONVERSATION}
        assert [part.reply_to for part in parts] == [self.REPLY_TO] + [None] * (len(parts) - 1)
        keys = [part.key for part in parts if part.key is not None]
        assert len(set(keys)) == len(keys)  # one key per part
        assert await self.rows(Delivery, Delivery.outbox_id == outbox_id, Delivery.status == "sent")

