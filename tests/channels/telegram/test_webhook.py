"""The webhook endpoint on a real nats-server: the /start greeting, and setting the webhook with its secret token.

What every webhook promises (secret token, PubAck first, dedup, quarantine, 503, 404 when off or polling) is in
test_contract.py (TestTelegramWebhook)."""

from __future__ import annotations

import httpx
import pytest
from faststream.nats import NatsBroker

from channels.telegram.greeting import GREETING, SHARE_PHONE
from tests.channels.telegram.conftest import CLIENT_CHAT, SECRET, intake_submissions, load, post_update
from tests.support.fake_telegram import FakeTelegram, form_json


async def test_start_is_greeted_with_the_contact_button_and_not_stored(
    webhook: httpx.AsyncClient, broker: NatsBroker, fake: FakeTelegram
) -> None:
    response = await post_update(webhook, load("start"))
    assert response.status_code == 200
    [greeting] = fake.sent(CLIENT_CHAT)
    assert greeting["text"] == GREETING
    keyboard = form_json(greeting, "reply_markup")
    assert keyboard["keyboard"] == [[{"text": SHARE_PHONE, "request_contact": True}]]
    assert await intake_submissions(broker) == []


async def test_greeting_retried_by_telegram_when_the_bot_api_is_down(
    webhook: httpx.AsyncClient, fake: FakeTelegram
) -> None:
    fake.fail("sendMessage", 502, "Bad Gateway")
    assert (await post_update(webhook, load("start"))).status_code == 503
    assert (await post_update(webhook, load("start"))).status_code == 200
    assert len(fake.sent(CLIENT_CHAT)) == 1


async def test_set_and_delete_webhook_send_the_secret_token(fake: FakeTelegram) -> None:
    from channels.telegram.setup import delete_webhook, set_webhook
    from tests.channels.telegram.conftest import telegram_config

    config = telegram_config(fake)
    with pytest.raises(ValueError):
        await set_webhook(config)
    await set_webhook(config, "https://gateway.example.ru/channels/telegram/webhook")
    assert fake.webhook is not None
    assert fake.webhook["url"] == "https://gateway.example.ru/channels/telegram/webhook"
    assert fake.webhook["secret_token"] == SECRET
    await delete_webhook(config)
    assert fake.webhook is None
