"""The webhook endpoint on a real nats-server: secret check, durable hand-off, dedup, greeting, quarantine."""

from __future__ import annotations

import httpx
import pytest
from faststream.nats import NatsBroker

from channels.telegram.greeting import GREETING, SHARE_PHONE
from channels.telegram.metrics import COUNTERS
from tests.channels.telegram.conftest import CLIENT_CHAT, SECRET, intake_submissions, load, post_update
from tests.support.fake_telegram import FakeTelegram, form_json
from workers.settings import Settings
from workers.shunt import jetstream_of, list_shunted


async def test_message_is_published_before_the_answer(webhook: httpx.AsyncClient, broker: NatsBroker) -> None:
    update = load("text_message")
    response = await post_update(webhook, update)
    assert response.status_code == 200
    published = await intake_submissions(broker)
    assert [s.native_id for s in published] == ["123456:900000001"]
    assert published[0].payload == update


async def test_the_same_update_twice_is_stored_once(webhook: httpx.AsyncClient, broker: NatsBroker) -> None:
    update = load("photo_caption")
    for _ in range(3):
        assert (await post_update(webhook, update)).status_code == 200
    assert len(await intake_submissions(broker)) == 1


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", SECRET + "x", SECRET.upper()])
async def test_forged_requests_are_refused_counted_and_not_stored(
    webhook: httpx.AsyncClient, broker: NatsBroker, fake: FakeTelegram, secret: str | None
) -> None:
    before = COUNTERS["forged"]
    response = await post_update(webhook, load("text_message"), secret=secret)
    assert response.status_code == 401
    assert COUNTERS["forged"] == before + 1
    assert await intake_submissions(broker) == []
    # A forged /start does not make the bot talk either.
    assert (await post_update(webhook, load("start"), secret=secret)).status_code == 401
    assert fake.sent() == []


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


@pytest.mark.parametrize("name", ["edited_message", "channel_post", "group_message", "my_chat_member", "sticker",
                                  "unknown_kind"])
async def test_other_updates_are_answered_counted_and_not_stored(
    webhook: httpx.AsyncClient, broker: NatsBroker, fake: FakeTelegram, name: str
) -> None:
    update = load(name)
    kind = next(k for k in update if k != "update_id")
    before = COUNTERS[f"ignored:{kind}"]
    response = await post_update(webhook, update)
    assert response.status_code == 200
    assert COUNTERS[f"ignored:{kind}"] == before + 1
    assert await intake_submissions(broker) == []
    assert fake.sent() == []


@pytest.mark.parametrize(("body", "reason"), [
    (b"{not json", "not JSON"),
    (b'{"message": {"text": "no id"}}', "update_id"),
    (None, "schema"),
])
async def test_bad_bodies_are_quarantined_with_the_reason_and_answered(
    webhook: httpx.AsyncClient, broker: NatsBroker, body: bytes | None, reason: str
) -> None:
    import json

    data = body if body is not None else json.dumps(load("malformed_no_date")).encode()
    response = await post_update(webhook, data)
    assert response.status_code == 200  # else Telegram would resend it for 24 hours
    shunted = await list_shunted(jetstream_of(broker))
    assert len(shunted) == 1
    assert reason in shunted[0].envelope.reason
    assert shunted[0].envelope.stage == "telegram_webhook"
    assert not shunted[0].envelope.replayable  # fixed at the source, not put back on a stream
    assert shunted[0].envelope.data == data
    assert await intake_submissions(broker) == []


async def test_off_or_polling_mode_is_not_found(
    tg_settings: Settings, webhook: httpx.AsyncClient, broker: NatsBroker
) -> None:
    from workers.web import create_app

    for settings in (tg_settings.model_copy(update={"telegram": None}),
                     tg_settings.model_copy(update={"telegram": tg_settings.telegram.model_copy(  # type: ignore[union-attr]
                         update={"mode": "polling"})})):
        app = create_app(settings, None, broker)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            assert (await post_update(client, load("text_message"))).status_code == 404
    assert await intake_submissions(broker) == []


async def test_publish_failure_answers_503_so_telegram_resends(
    webhook: httpx.AsyncClient, broker: NatsBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workers.web import telegram_webhook

    async def down(broker: object, raw: object) -> None:
        raise telegram_webhook.IntakeUnavailable("no PubAck")

    monkeypatch.setattr(telegram_webhook, "hand_off", down)
    assert (await post_update(webhook, load("text_message"))).status_code == 503
    monkeypatch.undo()
    assert (await post_update(webhook, load("text_message"))).status_code == 200
    assert len(await intake_submissions(broker)) == 1


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
