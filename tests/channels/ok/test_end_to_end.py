"""OK.ru end to end on the real nats-server and database: webhook -> ticket -> answer in the same chat (fake OK)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from channels.ok import parse
from router.models import Delivery, Submission, Ticket
from tests.channels.ok.conftest import body, post_webhook, seed_with_ok_identity, webhook_client
from tests.support.fake_ok import FakeOk
from tests.support.store import count
from tests.support.waiting import eventually
from workers.app.runtime import Database
from workers.app.settings import Settings
from workers.app.worker_set import WorkerSet
from workers.bus.publish import publish_submission

pytestmark = pytest.mark.usefixtures("database_url")
MID = "mid:C3ed8b7c6a8ff.16ade4d4b28"
CHAT = "chat:C3ed8b7c6a8ff"


async def ticket_of(database: Database, mid: str) -> Ticket | None:
    async with database.sessions() as session:
        return await session.scalar(
            select(Ticket).join(Submission, Submission.ticket_id == Ticket.id).where(Submission.native_id == mid))


async def _answers(fake: FakeOk, chat: str, at_least: int = 1) -> list[dict[str, object]]:
    found = fake.messages_in(chat)
    return found if len(found) >= at_least else []


async def test_message_becomes_a_ticket_answered_in_the_same_chat(
    pipeline: WorkerSet, settings: Settings, database: Database, fake: FakeOk
) -> None:
    await seed_with_ok_identity(database)
    async with webhook_client(settings, database, pipeline.broker) as client:
        assert (await post_webhook(client, body("message_created.json"))).status_code == 200
        ticket = await eventually(lambda: ticket_of(database, MID))
        assert ticket.channel == "ok" and ticket.assignee_login == "m.petrova"
        answers = await eventually(lambda: _answers(fake, CHAT))
        assert ticket.number in str(answers[0]["text"])
        call = fake.calls_to(f"/graph/me/messages/{CHAT}")[0]
        assert call.query["access_token"] == fake.token
        assert call.body["recipient"] == {"chat_id": CHAT} and call.content_type.startswith("application/json")

        # The same mid delivered again (OK resent it), and a follow-up in the same chat: still one ticket.
        assert (await post_webhook(client, body("message_created.json"))).json()["outcome"] == "duplicate"
        assert (await post_webhook(client, body("message_follow_up.json"))).status_code == 200
        follow = await eventually(lambda: ticket_of(database, "mid:C3ed8b7c6a8ff.16ade4d5c11"))
    assert follow.id == ticket.id
    assert await count(database, Ticket) == 1
    delivery = await eventually(lambda: _delivery(database, ticket.id))
    assert delivery.status == "sent" and delivery.address == CHAT


async def _delivery(database: Database, ticket_id: int) -> Delivery | None:
    async with database.sessions() as session:
        return await session.scalar(select(Delivery).where(Delivery.ticket_id == ticket_id).order_by(Delivery.id))


async def test_gateway_killed_after_publish_then_ok_resends_makes_no_duplicate(
    pipeline: WorkerSet, settings: Settings, database: Database, fake: FakeOk
) -> None:
    await seed_with_ok_identity(database)
    # The gateway published (PubAck) and died before answering 200: OK saw no answer.
    raw = parse.parse_message(parse.decode_body(body("message_created.json")))
    await publish_submission(pipeline.broker, raw)
    ticket = await eventually(lambda: ticket_of(database, MID))
    await eventually(lambda: _answers(fake, CHAT))
    # OK resends the same message to the restarted gateway.
    async with webhook_client(settings, database, pipeline.broker) as client:
        response = await post_webhook(client, body("message_created.json"))
    assert response.status_code == 200 and response.json()["outcome"] == "duplicate"
    # A later, different message from another client goes through the same pipeline: when it is
    # answered, the resend above (published before it) has long been handled.
    async with webhook_client(settings, database, pipeline.broker) as client:
        assert (await post_webhook(client, body("message_other_client.json"))).status_code == 200
    await eventually(lambda: _answers(fake, "chat:C7dd04e5f6071"))
    assert await count(database, Ticket) == 2
    assert await count(database, Submission, Submission.native_id == MID) == 1
    assert len(fake.messages_in(CHAT)) == 1 and (await ticket_of(database, MID)).id == ticket.id  # type: ignore[union-attr]
