"""TelegramSender against the fake Bot API: a short 429 waited out, network and 5xx temporary, 400/403 failed,
an interrupted long answer resumed.

What every sender promises (the chat, temporary failures retried by the deliver worker, a blocked bot on the
ticket, long answers split in order) is in test_contract.py (TestTelegramSender)."""

from __future__ import annotations

import pytest

from router.contracts import OutboundKind, OutboundMessage
from tests.channels.telegram.conftest import CLIENT_CHAT, telegram_config
from tests.support.fake_telegram import FakeTelegram
from workers.app.runtime import Database
from workers.app.settings import Settings
from workers.app.worker_set import WorkerSet
from workers.channels.senders.base import DeliveryResult, Reply, TemporaryFailure
from workers.channels.telegram.sender import TEXT_LIMIT, TelegramOutgoing, TelegramSender, from_settings


def outgoing(text: str, chat_id: int = CLIENT_CHAT, reply_to: int | None = 101) -> TelegramOutgoing:
    from channels.split import split_message, utf16_units

    message = OutboundMessage(outbox_id=1, kind=OutboundKind.ANSWER, channel="telegram", ticket_number="C-2026-000001",
                              client_id=None, in_reply_to="123456:1", text=text)
    return TelegramOutgoing(Reply(message, None, 1), chat_id, reply_to, split_message(text, TEXT_LIMIT, utf16_units))


def test_from_settings(settings: Settings, fake: FakeTelegram) -> None:
    assert from_settings(settings) is None
    assert isinstance(from_settings(settings.model_copy(update={"telegram": telegram_config(fake)})), TelegramSender)


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


async def test_the_kept_bot_is_closed_by_aclose_and_remade_after(fake: FakeTelegram) -> None:
    sender = TelegramSender(telegram_config(fake))
    [result] = await sender.send([outgoing("Ответ")])
    assert isinstance(result, DeliveryResult) and result.status == "sent"
    bot = sender._bot
    assert bot is not None and bot.session._session is not None and not bot.session._session.closed
    await sender.aclose()
    assert bot.session._session is None or bot.session._session.closed
    await sender.aclose()  # twice is harmless
    [again] = await sender.send([outgoing("Ещё")])
    assert isinstance(again, DeliveryResult) and again.status == "sent"
    assert sender._bot is not None and sender._bot is not bot
    await sender.aclose()


async def test_the_deliver_worker_closes_its_senders_when_it_stops(
    settings: Settings, fake: FakeTelegram, database: Database, nats_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    closed: list[TelegramSender] = []

    async def record(self: TelegramSender) -> None:
        closed.append(self)

    monkeypatch.setattr(TelegramSender, "aclose", record)
    configured = settings.model_copy(update={"telegram": telegram_config(fake)})
    async with WorkerSet(configured, ("deliver",), database=database, nats_url=nats_url):
        assert closed == []
    assert len(closed) == 1
