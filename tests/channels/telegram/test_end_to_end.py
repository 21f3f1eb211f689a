"""Telegram end to end on real servers: webhook -> ticket -> answer in the same chat on the fake Bot API.

Also: the same update delivered twice, and a gateway killed after the publish but before answering
Telegram (which then resends the update), make one ticket; a long answer goes out in order, split.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from faststream.nats import NatsBroker
from sqlalchemy import select

from channels.telegram.parse import raw_submission
from router.models import ClientIdentity, Submission, Ticket
from tests.channels.telegram.conftest import (
    CLIENT_CHAT,
    intake_submissions,
    load,
    post_update,
    with_update_id,
)
from tests.support.fake_telegram import FakeTelegram, form_json
from tests.support.store import count
from tests.support.waiting import eventually
from workers.app.runtime import Database
from workers.app.settings import Settings
from workers.app.worker_set import WorkerSet
from workers.bus.publish import publish_submission

pytestmark = pytest.mark.usefixtures("database_url")



async def ticket_of(database: Database, content_id: str) -> Ticket | None:
    async with database.sessions() as session:
        return await session.scalar(
            select(Ticket).join(Submission, Submission.ticket_id == Ticket.id)
            .where(Submission.channel == "telegram", Submission.content_id == content_id)
        )


async def sent_with(fake: FakeTelegram, needle: str) -> list[dict[str, Any]]:
    return [m for m in fake.sent(CLIENT_CHAT) if needle in m["text"]]


async def test_message_becomes_a_ticket_answered_in_the_same_chat(
    gateway: WorkerSet, webhook: httpx.AsyncClient, fake: FakeTelegram, database: Database
) -> None:
    update = load("text_message")
    assert (await post_update(webhook, update)).status_code == 200

    ticket = await eventually(lambda: ticket_of(database, f"{CLIENT_CHAT}:101"))
    assert ticket.channel == "telegram"
    # The contract number typed by an unknown account is only a claim: the ticket waits in the queue and the
    # answer says nothing of the client's (a shared contact of one's own links the account: further down).
    assert (ticket.client_id, ticket.assignee_login) == (None, None)
    [answer] = await eventually(lambda: sent_with(fake, ticket.number))
    # (greeted by the Telegram profile's own name; never by the directory's «Иванов Иван Иванович»)
    assert "Иванович" not in answer["text"] and "убедимся" in answer["text"]
    assert answer["chat_id"] == str(CLIENT_CHAT)
    assert form_json(answer, "reply_parameters")["message_id"] == 101


async def test_the_same_update_twice_and_a_resend_after_a_crash_make_one_ticket(
    gateway: WorkerSet, webhook: httpx.AsyncClient, fake: FakeTelegram, database: Database, broker: NatsBroker,
    tg_settings: Settings,
) -> None:
    update = load("emoji")
    # Telegram retries (a slow answer): the same update twice.
    assert (await post_update(webhook, update)).status_code == 200
    assert (await post_update(webhook, update)).status_code == 200
    # A gateway killed after the PubAck and before answering: the update is stored, Telegram resends it.
    crashed = with_update_id(load("document"), 900000106)
    assert tg_settings.telegram is not None
    await publish_submission(broker, raw_submission(tg_settings.telegram.bot_id, crashed, _now()))
    assert (await post_update(webhook, crashed)).status_code == 200

    await eventually(lambda: ticket_of(database, f"{CLIENT_CHAT}:107"))
    await eventually(lambda: ticket_of(database, f"{CLIENT_CHAT}:105"))
    await eventually(lambda: sent_with(fake, "C-"))
    assert await count(database, Submission, Submission.channel == "telegram") == 2
    assert len(await intake_submissions(broker)) == 2  # JetStream dropped the repeats (Nats-Msg-Id)


async def test_start_makes_no_ticket(
    gateway: WorkerSet, webhook: httpx.AsyncClient, fake: FakeTelegram, database: Database
) -> None:
    assert (await post_update(webhook, load("start"))).status_code == 200
    assert (await post_update(webhook, load("text_message"))).status_code == 200
    await eventually(lambda: ticket_of(database, f"{CLIENT_CHAT}:101"))
    assert await count(database, Submission, Submission.channel == "telegram") == 1
    assert await count(database, Ticket) == 1


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


async def test_unknown_sender_shares_their_phone_and_is_linked(
    gateway: WorkerSet, webhook: httpx.AsyncClient, fake: FakeTelegram, database: Database
) -> None:
    anonymous = load("text_message")
    anonymous["message"]["text"] = "Нет интернета второй день."
    assert (await post_update(webhook, anonymous)).status_code == 200
    ticket = await eventually(lambda: ticket_of(database, f"{CLIENT_CHAT}:101"))
    assert ticket.client_id is None
    [ack] = await eventually(lambda: sent_with(fake, ticket.number))
    assert "договор" in ack["text"].lower()

    assert (await post_update(webhook, load("contact_own"))).status_code == 200  # IVANOV's phone

    async def linked() -> Ticket | None:
        async with database.sessions() as session:
            found = await session.get(Ticket, ticket.id, populate_existing=True)
            return found if found is not None and found.client_id is not None else None

    moved = await eventually(linked)
    assert moved.assignee_login == "m.petrova"
    async with database.sessions() as session:
        identity = await session.scalar(select(ClientIdentity).where(ClientIdentity.kind == "telegram"))
    assert identity is not None and identity.value == str(CLIENT_CHAT) and identity.client_id == moved.client_id
