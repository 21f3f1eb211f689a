"""Telegram fixtures: the fake Bot API on loopback, the channel's settings, the recorded updates."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from faststream.nats import NatsBroker
from nats.js.errors import NotFoundError
from pydantic import SecretStr

from channels.base import RawSubmission
from channels.telegram.config import TelegramConfig
from tests.support.fake_telegram import FakeTelegram, fake_telegram
from tests.support.gateway import seeded_gateway, web_client
from tests.web.conftest import connected_broker
from workers.app.runtime import Database
from workers.app.settings import Settings
from workers.app.worker_set import WorkerSet
from workers.bus.shunt import jetstream_of

DATA = Path(__file__).parents[2] / "data" / "telegram"
TOKEN = "123456:test-token_ABC"
SECRET = "s3cret_Token-for-webhook"
CLIENT_CHAT = 555000111


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))
    return data


def with_update_id(update: dict[str, Any], update_id: int) -> dict[str, Any]:
    return {**update, "update_id": update_id}


def telegram_config(fake: FakeTelegram, **overrides: Any) -> TelegramConfig:
    values: dict[str, Any] = {"token": SecretStr(fake.token), "mode": "webhook", "api_base": fake.base_url,
                              "webhook_secret": SecretStr(SECRET), "poll_timeout": 1, "retry_delays": [0.05],
                              "timeout": 10.0, "max_inline_retry_after": 1.0}
    values.update(overrides)
    return TelegramConfig(**values)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with fake_telegram(TOKEN) as server:
        yield server


@pytest.fixture
def platform(fake: FakeTelegram) -> FakeTelegram:
    """The fake platform the channel contracts (tests/channels/contract/) talk to."""
    return fake


@pytest.fixture
def tg_settings(settings: Settings, fake: FakeTelegram) -> Settings:
    return settings.model_copy(update={"telegram": telegram_config(fake)})


@pytest.fixture
async def gateway(tg_settings: Settings, database: Database, nats_url: str) -> AsyncIterator[WorkerSet]:
    """Every worker running on the real server and database, with the Telegram channel on (webhook mode)."""
    async with seeded_gateway(tg_settings, database, nats_url) as workers:
        yield workers


@pytest.fixture
async def broker(nats_url: str, settings: Settings) -> AsyncIterator[NatsBroker]:
    broker = await connected_broker(nats_url, settings)
    yield broker
    await broker.stop()


@pytest.fixture
async def webhook(tg_settings: Settings, database: Database, broker: NatsBroker) -> AsyncIterator[httpx.AsyncClient]:
    """The web app with the Telegram channel on (no workers): what Telegram's POSTs reach."""
    async with web_client(tg_settings, database, broker) as client:
        yield client


async def post_update(client: httpx.AsyncClient, update: dict[str, Any] | bytes,
                      secret: str | None = SECRET) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    body = update if isinstance(update, bytes) else json.dumps(update, ensure_ascii=False).encode()
    return await client.post("/channels/telegram/webhook", content=body, headers=headers)


async def intake_submissions(broker: NatsBroker) -> list[RawSubmission]:
    js = jetstream_of(broker)
    info = await js.stream_info("INTAKE")
    found = []
    if info.state.messages:
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            try:
                msg = await js.get_msg("INTAKE", seq)
            except NotFoundError:
                continue
            if msg.data and msg.subject.endswith(".telegram"):
                found.append(RawSubmission.model_validate_json(msg.data))
    return found
