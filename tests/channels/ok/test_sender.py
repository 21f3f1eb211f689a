"""Replies on OK through the deliver worker: sent, uncertain after an ambiguous timeout, retried, failed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from channels.ok.config import OkConfig
from router.contracts import OutboundKind, OutboundMessage
from router.models import Delivery, StaffAlert, Submission, Ticket, TicketHistory
from tests.channels.ok.conftest import body, count, post_webhook, seed_with_ok_identity, webhook_client
from tests.support.fake_ok import FakeOk, closed_port
from tests.support.waiting import eventually
from workers.gateway import WorkerSet
from workers.runtime import Database
from workers.senders.base import Contact, Reply, TemporaryFailure
from workers.senders.ok import OkOutgoing, OkSender
from workers.settings import Settings

MID = "mid:C3ed8b7c6a8ff.16ade4d4b28"
CHAT = "chat:C3ed8b7c6a8ff"
MESSAGES = f"/graph/me/messages/{CHAT}"


async def deliveries(database: Database) -> list[Delivery]:
    async with database.sessions() as session:
        return list(await session.scalars(select(Delivery).order_by(Delivery.id)))


async def ticket(database: Database) -> Ticket:
    async with database.sessions() as session:
        found = await session.scalar(
            select(Ticket).join(Submission, Submission.ticket_id == Ticket.id).where(Submission.native_id == MID))
    assert found is not None
    return found


async def file_complaint(settings: Settings, database: Database, pipeline: WorkerSet) -> list[Delivery]:
    await seed_with_ok_identity(database)
    async with webhook_client(settings, database, pipeline.broker) as client:
        assert (await post_webhook(client, body("message_created.json"))).status_code == 200
    return await eventually(lambda: deliveries(database))


@pytest.mark.ok_config(send_timeout=0.5)
async def test_ambiguous_timeout_is_uncertain_alerted_and_never_resent(
    pipeline: WorkerSet, settings: Settings, database: Database, fake: FakeOk
) -> None:
    fake.then("delay:3")  # OK takes the message but answers after our timeout
    [delivery] = await file_complaint(settings, database, pipeline)
    assert delivery.status == "uncertain" and delivery.address == CHAT
    assert "повторно не отправлялся" in (delivery.detail or "")
    assert len(fake.calls_to(MESSAGES, "POST")) == 1  # recorded = acked: the reply is not sent again
    assert len(fake.messages_in(CHAT)) == 1  # it did reach the chat: a blind retry would have doubled it
    found = await ticket(database)
    assert await count(database, TicketHistory, TicketHistory.ticket_id == found.id,
                       TicketHistory.action == "reply_uncertain") == 1
    async with database.sessions() as session:
        alert = await session.scalar(select(StaffAlert).where(StaffAlert.ticket_id == found.id))
    assert alert is not None and alert.login == "m.petrova" and alert.kind == "reply_uncertain"
    assert found.number in alert.text and "Одноклассниках" in alert.text


async def test_temporary_failure_is_retried_and_sent_once(
    pipeline: WorkerSet, settings: Settings, database: Database, fake: FakeOk
) -> None:
    fake.then("status:503", "error:2")  # HTTP 503, then OK's "service unavailable" code
    [delivery] = await file_complaint(settings, database, pipeline)
    assert delivery.status == "sent" and delivery.detail and delivery.detail.startswith("mid:")
    assert len(fake.calls_to(MESSAGES, "POST")) == 3
    assert len(fake.messages_in(CHAT)) == 1


async def test_refusal_fails_with_a_history_entry(
    pipeline: WorkerSet, settings: Settings, database: Database, fake: FakeOk
) -> None:
    fake.then("status:400")
    [delivery] = await file_complaint(settings, database, pipeline)
    assert delivery.status == "failed" and "HTTP 400" in (delivery.detail or "")
    assert len(fake.calls_to(MESSAGES, "POST")) == 1
    assert await count(database, TicketHistory, TicketHistory.action == "reply_not_sent") == 1
    assert fake.messages_in(CHAT) == []


async def test_connection_refused_is_temporary_for_the_whole_batch() -> None:
    sender = OkSender(OkConfig(token="t", api_base=f"http://127.0.0.1:{closed_port()}",
                               webhook_secret="x" * 16))
    message = OutboundMessage(outbox_id=1, kind=OutboundKind.ANSWER, channel="ok", ticket_number="C-2026-000001",
                              client_id=None, in_reply_to=MID, text="Ответ")
    items = [OkOutgoing(Reply(message, Contact(1, None), 1), CHAT, "m.petrova")] * 2
    results = await sender.send(items)
    assert len(results) == 2 and all(isinstance(r, TemporaryFailure) for r in results)


async def test_bad_token_is_a_permanent_refusal(fake: FakeOk) -> None:
    sender = OkSender(OkConfig(token="wrong", api_base=fake.base_url, webhook_secret="x" * 16))
    message = OutboundMessage(outbox_id=1, kind=OutboundKind.ANSWER, channel="ok", ticket_number="C-2026-000001",
                              client_id=None, in_reply_to=MID, text="Ответ")
    [result] = await sender.send([OkOutgoing(Reply(message, None, 1), CHAT, None)])
    assert not isinstance(result, TemporaryFailure) and result.status == "failed"
    assert "error_code=102" in (result.detail or "") and "wrong" not in (result.detail or "")
    call = fake.calls_to(MESSAGES)[0]
    assert call.query["access_token"] == "wrong"  # the fake saw it; our detail text did not keep it
