"""Polling mode against the fake Bot API: the offset moves only past updates whose publish got its PubAck,
one at a time, in order; greetings and ignored kinds; the intake end to end and while the Bot API is down.

What every polling intake promises (the offset confirmed after the PubAcks, no duplicate after a restart,
refused publishes, bad updates quarantined, a clean stop) is in test_contract.py (TestTelegramPolling)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from faststream.nats import NatsBroker

from channels.telegram.bot import dispatcher, make_bot
from channels.telegram.polling import BotApiUpdates, PollingLoop
from channels.telegram.updates import handle_update
from router.models import Submission, Ticket
from tests.channels.telegram.conftest import (
    CLIENT_CHAT,
    intake_submissions,
    load,
    telegram_config,
    with_update_id,
)
from tests.support.fake_telegram import FakeTelegram
from tests.support.gateway import seeded_gateway
from tests.support.loops import running
from tests.support.store import count
from tests.support.waiting import eventually
from workers.app.runtime import Database
from workers.app.settings import Settings
from workers.app.worker_set import WorkerSet
from workers.bus.publish import publish_submission
from workers.bus.shunt import jetstream_of
from workers.channels.telegram.process import TelegramPollingProcess, update_handler


class FlakyPublish:
    """publish_submission on the real server, failing (no PubAck) for the chosen update ids, once each."""

    def __init__(self, broker: NatsBroker, fail_once: set[int]) -> None:
        self.broker = broker
        self.fail_once = set(fail_once)
        self.attempts: list[int] = []

    async def __call__(self, raw: Any) -> object:
        update_id = raw.payload["update_id"]
        self.attempts.append(update_id)
        if update_id in self.fail_once:
            self.fail_once.discard(update_id)
            raise ConnectionError("no PubAck")
        return await publish_submission(self.broker, raw)


async def test_offset_advances_only_after_the_puback(fake: FakeTelegram, broker: NatsBroker) -> None:
    config = telegram_config(fake, mode="polling")
    updates = [load("text_message"), load("photo_caption"), load("document")]
    fake.queue(*updates)
    publish = FlakyPublish(broker, fail_once={900000005})
    bot = make_bot(config)
    fetcher = BotApiUpdates(config)

    async def handle(update: dict[str, Any]) -> None:
        await handle_update(dispatcher(), bot, update, publish, config.bot_id, datetime.now(UTC))

    loop = PollingLoop(config, fetcher.fetch, handle)
    try:
        async with running(loop):
            await eventually(lambda: _done(fake, 900000007))
    finally:
        await fetcher.close()
        await bot.session.close()
    # The failed one was fetched again, and the one after it was not handed off before it.
    assert publish.attempts == [900000001, 900000005, 900000005, 900000006]
    assert sorted(s.native_id for s in await intake_submissions(broker)) == [
        "123456:900000001", "123456:900000005", "123456:900000006"]
    offsets = [c.params.get("offset") for c in fake.called("getUpdates")]
    # Never an offset past an update that was not stored.
    # First fetch, then the failed update asked for again (offset just past the one stored), then the rest.
    assert offsets[:3] == [None, 900000002, 900000007]
    assert fake.updates == []  # everything confirmed (the stop confirms the last batch)


async def _done(fake: FakeTelegram, offset: int) -> bool:
    return fake.confirmed_offset >= offset


async def test_polling_greets_and_ignores_without_blocking(fake: FakeTelegram, broker: NatsBroker) -> None:
    config = telegram_config(fake, mode="polling")
    # In update_id order, as Telegram serves them. (A bad update in between: test_contract.py.)
    fake.queue(load("start"), load("edited_message"), with_update_id(load("text_message"), 900000018))
    bot = make_bot(config)
    fetcher = BotApiUpdates(config)
    loop = PollingLoop(config, fetcher.fetch, update_handler(config, bot, jetstream_of(broker)))
    try:
        async with running(loop):
            await eventually(lambda: _done(fake, 900000019))
    finally:
        await fetcher.close()
        await bot.session.close()
    assert [s.native_id for s in await intake_submissions(broker)] == ["123456:900000018"]
    assert len(fake.sent(CLIENT_CHAT)) == 1  # the greeting



@pytest.fixture
async def polling_settings(settings: Settings, fake: FakeTelegram) -> Settings:
    return settings.model_copy(update={"telegram": telegram_config(fake, mode="polling", webhook_secret=None)})


@pytest.fixture
async def gateway(polling_settings: Settings, database: Database, nats_url: str) -> AsyncIterator[WorkerSet]:
    async with seeded_gateway(polling_settings, database, nats_url) as workers:
        yield workers


@pytest.mark.usefixtures("database_url")
async def test_polling_intake_end_to_end_with_a_restart(
    gateway: WorkerSet, polling_settings: Settings, fake: FakeTelegram, database: Database
) -> None:
    fake.webhook = {"url": "https://old.example.ru/hook"}  # left over: polling removes it first
    fake.queue(load("text_message"), load("contact_own"))
    async with TelegramPollingProcess(polling_settings):
        await eventually(lambda: _answered_and_confirmed(fake))
        assert fake.webhook is None
    tickets = await count(database, Ticket)
    submissions = await count(database, Submission)
    assert submissions == 2

    # Restarted: Telegram serves from the last confirmed offset; pretend the confirm at stop was lost.
    fake.updates = [load("contact_own")]
    fake.queue(load("emoji"))
    async with TelegramPollingProcess(polling_settings):
        await eventually(lambda: _done(fake, 900000013))
        await eventually(lambda: _count_is(database, 3))
    assert await count(database, Submission) == 3
    # The update served again after the restart was dropped by JetStream's dedup, not only by the router.
    assert len(await intake_submissions(gateway.broker)) == 3
    assert await count(database, Ticket) == tickets  # the chat's later messages thread into its open ticket


async def _answered_and_confirmed(fake: FakeTelegram) -> bool:
    return any("C-" in m["text"] for m in fake.sent(CLIENT_CHAT)) and fake.confirmed_offset > 900000003


async def _count_is(database: Database, n: int) -> bool:
    return await count(database, Submission) == n


async def test_polling_starts_while_the_bot_api_is_down_and_catches_up(
    polling_settings: Settings, fake: FakeTelegram
) -> None:
    fake.fail("deleteWebhook", 502, "Bad Gateway")
    fake.fail("getUpdates", 502, "Bad Gateway", times=2)
    fake.queue(load("text_message"))
    async with TelegramPollingProcess(polling_settings) as intake:
        await eventually(lambda: _done(fake, 900000002))
        assert len(await intake_submissions(intake.broker)) == 1
    statuses = [c.status for c in fake.called("getUpdates")]
    assert statuses[:3] == [502, 502, 200]
