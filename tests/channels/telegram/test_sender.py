"""TelegramSender against the fake Bot API: split answers in order, 429/5xx temporary, 400/403 failed."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from channels.telegram.split import LIMIT
from router.contracts import OutboundKind, OutboundMessage
from router.models import TicketHistory
from tests.channels.telegram.conftest import CLIENT_CHAT, load, post_update, telegram_config
from tests.channels.telegram.test_end_to_end import ticket_of
from tests.support.fake_telegram import FakeTelegram, form_json
from tests.support.waiting import eventually
from workers.gateway import WorkerSet
from workers.runtime import Database
from workers.senders.base import DeliveryResult, Reply, TemporaryFailure
from workers.senders.telegram import Outgoing, TelegramSender, from_settings
from workers.settings import Settings


def outgoing(text: str, chat_id: int = CLIENT_CHAT, reply_to: int | None = 101) -> Outgoing:
    from channels.telegram.split import split_message

    message = OutboundMessage(outbox_id=1, kind=OutboundKind.ANSWER, channel="telegram", ticket_number="C-2026-000001",
                              client_id=None, in_reply_to="123456:1", text=text)
    return Outgoing(Reply(message, None, 1), chat_id, reply_to, split_message(text))


def test_from_settings(settings: Settings, fake: FakeTelegram) -> None:
    assert from_settings(settings) is None
    assert isinstance(from_settings(settings.model_copy(update={"telegram": telegram_config(fake)})), TelegramSender)


async def test_long_answer_goes_out_in_order_in_several_messages(fake: FakeTelegram) -> None:
    paragraphs = [f"Пункт {i}. " + "Подробное объяснение причин. " * 60 for i in range(10)]
    text = "\n\n".join(paragraphs)
    assert len(text) > 2 * LIMIT
    [result] = await TelegramSender(telegram_config(fake)).send([outgoing(text)])
    assert isinstance(result, DeliveryResult) and result.status == "sent"
    sent = fake.sent(CLIENT_CHAT)
    assert len(sent) >= 3
    assert all(len(m["text"]) <= LIMIT for m in sent)
    assert "\n\n".join(m["text"] for m in sent).split() == text.split()
    assert sent[0]["text"].startswith("Пункт 0.") and "Пункт 9." in sent[-1]["text"]
    # Only the first part answers the client's message.
    assert form_json(sent[0], "reply_parameters")["message_id"] == 101
    assert all("reply_parameters" not in m for m in sent[1:])


async def test_short_429_is_waited_out_long_429_and_5xx_are_temporary(fake: FakeTelegram) -> None:
    sender = TelegramSender(telegram_config(fake, max_inline_retry_after=1.0))
    fake.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    [result] = await sender.send([outgoing("Ответ")])
    assert isinstance(result, DeliveryResult) and result.status == "sent"

    fake.fail("sendMessage", 429, "Too Many Requests: retry after 30", retry_after=30)
    fake.fail("sendMessage", 502, "Bad Gateway")
    first, second = await sender.send([outgoing("Первый"), outgoing("Второй")])
    assert isinstance(first, TemporaryFailure) and "30" in str(first)
    assert isinstance(second, TemporaryFailure)
    assert [m["text"] for m in fake.sent()] == ["Ответ"]


async def test_network_failure_is_temporary(fake: FakeTelegram) -> None:
    config = telegram_config(fake, api_base="http://127.0.0.1:9")  # nothing listens on the discard port
    [result] = await TelegramSender(config).send([outgoing("Ответ")])
    assert isinstance(result, TemporaryFailure)


@pytest.mark.parametrize(("status", "description"), [
    (403, "Forbidden: bot was blocked by the user"),
    (400, "Bad Request: chat not found"),
])
async def test_blocked_or_unknown_chat_fails(fake: FakeTelegram, status: int, description: str) -> None:
    [result] = await TelegramSender(telegram_config(fake)).send([outgoing("Ответ")])
    assert result == DeliveryResult("sent", "telegram", str(CLIENT_CHAT), None)
    fake.fail("sendMessage", status, description)
    [result] = await TelegramSender(telegram_config(fake)).send([outgoing("Ответ")])
    assert isinstance(result, DeliveryResult) and result.status == "failed"
    assert result.detail is not None and description in result.detail



async def test_blocked_bot_is_recorded_in_the_ticket_history(
    gateway: WorkerSet, webhook: httpx.AsyncClient, fake: FakeTelegram, database: Database
) -> None:
    fake.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
    assert (await post_update(webhook, load("text_message"))).status_code == 200
    ticket = await eventually(lambda: ticket_of(database, f"{CLIENT_CHAT}:101"))

    async def notes() -> list[str]:
        async with database.sessions() as session:
            return list(await session.scalars(select(TicketHistory.note).where(
                TicketHistory.ticket_id == ticket.id, TicketHistory.action == "reply_not_sent")))

    [note] = await eventually(notes)
    assert "Telegram" in note and "blocked" in note
    assert fake.sent() == []


async def test_temporary_failure_is_retried_by_the_deliver_worker(
    gateway: WorkerSet, webhook: httpx.AsyncClient, fake: FakeTelegram, database: Database
) -> None:
    fake.fail("sendMessage", 500, "Internal Server Error")
    fake.fail("sendMessage", 429, "Too Many Requests: retry after 60", retry_after=60)
    assert (await post_update(webhook, load("text_message"))).status_code == 200
    ticket = await eventually(lambda: ticket_of(database, f"{CLIENT_CHAT}:101"))
    [answer] = await eventually(lambda: _sent_async(fake, ticket.number))
    assert answer["chat_id"] == str(CLIENT_CHAT)
    assert len(fake.called("sendMessage")) == 3


async def _sent_async(fake: FakeTelegram, needle: str) -> list[dict[str, object]]:
    return [m for m in fake.sent(CLIENT_CHAT) if needle in str(m["text"])]


async def test_interrupted_long_answer_resumes_without_repeating_parts(fake: FakeTelegram) -> None:
    text = "\n\n".join(f"Часть {i}. " + "текст " * 600 for i in range(3))
    sender = TelegramSender(telegram_config(fake))
    item = outgoing(text)
    assert len(item.parts) == 3
    fake.fail("sendMessage", 502, "Bad Gateway")  # the first part is refused...
    [first] = await sender.send([item])
    assert isinstance(first, TemporaryFailure)
    # ...then the second (after the first went out).
    original = fake._m_sendMessage
    calls = 0

    async def fail_second(params: dict[str, object]) -> object:
        nonlocal calls
        calls += 1
        if calls == 2:
            return fake._error(500, "Internal Server Error")
        return await original(params)

    fake._m_sendMessage = fail_second  # type: ignore[method-assign]
    [second] = await sender.send([item])
    assert isinstance(second, TemporaryFailure)
    [third] = await sender.send([item])
    assert isinstance(third, DeliveryResult) and third.status == "sent"
    assert [m["text"].split(".")[0] for m in fake.sent(CLIENT_CHAT)] == ["Часть 0", "Часть 1", "Часть 2"]
