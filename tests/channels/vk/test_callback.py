"""Callback API end to end: the web endpoint on the real NATS and store, the fake VK receiving answers.

What every webhook promises (PubAck first, duplicates, forged requests, quarantine, 404 when off) is in
test_contract.py (TestVkWebhook); here: the confirmation and whole journeys through the pipeline."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from faststream.nats import NatsBroker
from sqlalchemy import select

from channels.vk.callback import METRICS
from router.models import Delivery, Outbox, Submission, Ticket
from tests.channels.vk.conftest import CONFIRMATION, GROUP_ID, event, post_event
from tests.support.fake_vk import FakeVk
from tests.support.store import count
from tests.support.waiting import eventually
from tests.web.conftest import stream_count
from workers.app.runtime import Database

pytestmark = pytest.mark.usefixtures("database_url")


async def ticket_of(database: Database, native_id: str) -> Ticket | None:
    async with database.sessions() as session:
        return await session.scalar(select(Ticket).join(Submission, Submission.ticket_id == Ticket.id)
                                    .where(Submission.channel == "vk", Submission.native_id == native_id))


async def outbox_ids(database: Database, native_id: str) -> list[int]:
    async with database.sessions() as session:
        rows = await session.execute(select(Outbox.id, Outbox.payload).where(Outbox.subject.like("outbound.%")))
        return [row.id for row in rows if row.payload.get("in_reply_to") == native_id]


def native(body: dict[str, Any]) -> str:
    return f"{GROUP_ID}:{body['event_id']}"


async def test_message_becomes_a_ticket_answered_in_the_same_dialog(
    vk_pipeline: Any, vk_web: httpx.AsyncClient, fake_vk: FakeVk, database: Database
) -> None:
    body = event("message_new")
    response = await post_event(vk_web, body)
    assert response.status_code == 200 and response.text == "ok"
    assert response.content == b"ok"  # no BOM, nothing else

    ticket = await eventually(lambda: ticket_of(database, native(body)))
    assert ticket.channel == "vk"
    # The contract number typed by an account the directory does not know is only a claim: the ticket waits
    # in the queue and the answer says nothing of Ivanov's.
    assert (ticket.client_id, ticket.assignee_login) == (None, None)
    [answer] = await eventually(lambda: _async(fake_vk.sent_to(510001)))
    assert "Иванович" not in answer["message"] and "убедимся" in answer["message"]
    [outbox_id] = await outbox_ids(database, native(body))
    assert answer["random_id"] == str(outbox_id)
    assert answer["reply_to"] == "41"
    assert ticket.number in answer["message"]
    async with database.sessions() as session:
        submission = await session.scalar(select(Submission).where(Submission.native_id == native(body)))
        assert submission is not None
        assert submission.content_id == "510001:17"
        assert submission.event["identities"]["vk_ids"] == ["510001"]
        assert submission.event["reply_to"]["address"] == "510001"
    delivery = await eventually(lambda: _delivery(database, outbox_id))
    assert delivery.status == "sent" and delivery.channel == "vk" and delivery.address == "510001"


async def _delivery(database: Database, outbox_id: int) -> Delivery | None:
    async with database.sessions() as session:
        return await session.scalar(select(Delivery).where(Delivery.outbox_id == outbox_id))


async def _async(value: Any) -> Any:
    return value


async def test_the_same_event_twice_and_resent_makes_one_ticket(
    vk_pipeline: Any, vk_web: httpx.AsyncClient, fake_vk: FakeVk, database: Database, vk_broker: NatsBroker
) -> None:
    body = event("message_new_chat")
    before = METRICS["duplicate"]
    for headers in ({}, {}, {"X-Retry-Counter": "1"}, {"X-Retry-Counter": "2"}):
        response = await post_event(vk_web, body, **headers)
        assert (response.status_code, response.text) == (200, "ok")
    assert METRICS["duplicate"] - before == 3
    assert await stream_count(vk_broker) == 1
    # The same chat message under another event_id (e.g. delivered once by callback, once by long poll):
    # the router drops it on (peer_id, conversation_message_id).
    await post_event(vk_web, {**body, "event_id": "c0ffee00c0ffee00c0ffee00c0ffee00c0ff0002"})
    marker = event("message_new_rtl_emoji")
    await post_event(vk_web, marker)
    await eventually(lambda: ticket_of(database, native(marker)))
    await eventually(lambda: _async(fake_vk.sent_to(510003)))
    assert await count(database, Submission, Submission.content_id == "2000000005:305") == 1
    assert await count(database, Ticket) == 2
    answers = await eventually(lambda: _async(fake_vk.sent_to(2000000005)))
    assert len(answers) == 1
    # Group chat: `id` is 0, the answer quotes the message by its conversation_message_id.
    assert "reply_to" not in answers[0]
    assert '"conversation_message_ids": [305]' in answers[0]["forward"]


async def test_answer_lost_after_publish_resend_makes_no_duplicate(
    vk_pipeline: Any, vk_web: httpx.AsyncClient, fake_vk: FakeVk, database: Database, vk_broker: NatsBroker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The gateway dies after the PubAck, before answering: VK resends the same event_id ~18 s later."""
    import workers.channels.vk.webhook as endpoint

    body = event("message_new_pre_5_103")
    real = endpoint.PlainTextResponse

    def killed(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionResetError("gateway killed before the answer")

    monkeypatch.setattr(endpoint, "PlainTextResponse", killed)
    with pytest.raises(ConnectionResetError):
        await post_event(vk_web, body)
    monkeypatch.setattr(endpoint, "PlainTextResponse", real)
    assert await stream_count(vk_broker) == 1  # published before the "crash"
    response = await post_event(vk_web, body, **{"X-Retry-Counter": "1"})
    assert (response.status_code, response.text) == (200, "ok")
    ticket = await eventually(lambda: ticket_of(database, native(body)))
    await eventually(lambda: _async(fake_vk.sent_to(510001)))
    assert await stream_count(vk_broker) == 1
    assert await count(database, Ticket) == 1
    assert len(fake_vk.sent_to(510001)) == 1
    # The old object shape (the message itself, before 5.103) is read the same way.
    async with database.sessions() as session:
        sub = await session.scalar(select(Submission).where(Submission.ticket_id == ticket.id))
        assert sub is not None and sub.content_id == "510001:18"


async def test_confirmation_answers_the_configured_string(vk_web: httpx.AsyncClient, vk_broker: NatsBroker) -> None:
    response = await post_event(vk_web, event("confirmation"))
    assert response.status_code == 200
    assert response.content == CONFIRMATION.encode()
    assert response.headers["content-type"].startswith("text/plain")
    assert await stream_count(vk_broker) == 0
