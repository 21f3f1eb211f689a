"""VK channel fixtures: the fake VK API on loopback, settings with the VK channel, the web app."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from faststream.nats import NatsBroker
from pydantic import SecretStr

from channels.vk.config import VkConfig
from tests.support.fake_vk import FakeVk
from tests.support.gateway import seeded_gateway, web_client
from tests.web.conftest import connected_broker
from workers.app.runtime import Database
from workers.app.settings import Settings

DATA = Path(__file__).resolve().parents[2] / "data" / "vk"
GROUP_ID = 229000001
SECRET = "s3cr3t-callback-key"
CONFIRMATION = "a1b2c3d4"


def event(name: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))
    body.update(changes)
    return body


def lp_event(n: int, text: str | None = None) -> dict[str, Any]:
    """A recorded message_new as Bots Long Poll serves it (no secret), made the n-th one."""
    body = event("message_new")
    del body["secret"]  # long poll events carry no secret
    body["event_id"] = f"{n:040x}"
    body["object"]["message"] = {**body["object"]["message"], "conversation_message_id": 1000 + n,
                                 "id": 1000 + n, "text": text or f"Жалоба номер {n}"}
    return body


def vk_config(fake: FakeVk, **overrides: Any) -> VkConfig:
    values: dict[str, Any] = {
        "group_id": GROUP_ID, "token": SecretStr(fake.token), "api_base": fake.api_base,
        "secret": SecretStr(SECRET), "confirmation": CONFIRMATION, "longpoll_wait": 1,
        "reconnect_delays": [0.1, 0.2],
    }
    values.update(overrides)
    return VkConfig(**values)


@pytest.fixture
async def fake_vk() -> AsyncIterator[FakeVk]:
    fake = await FakeVk(GROUP_ID).start()
    yield fake
    await fake.stop()


@pytest.fixture
def platform(fake_vk: FakeVk) -> FakeVk:
    """The fake platform the channel contracts (tests/channels/contract/) talk to."""
    return fake_vk


@pytest.fixture
def vk_settings(settings: Settings, fake_vk: FakeVk) -> Settings:
    return settings.model_copy(update={"vk": vk_config(fake_vk)})


@pytest.fixture
async def vk_broker(nats_url: str, vk_settings: Settings) -> AsyncIterator[NatsBroker]:
    broker = await connected_broker(nats_url, vk_settings)
    yield broker
    await broker.stop()


@pytest.fixture
async def vk_web(vk_settings: Settings, database: Database, vk_broker: NatsBroker) -> AsyncIterator[httpx.AsyncClient]:
    async with web_client(vk_settings, database, vk_broker) as client:
        yield client


async def post_event(client: httpx.AsyncClient, body: dict[str, Any], **headers: str) -> httpx.Response:
    return await client.post("/channels/vk/callback", content=json.dumps(body, ensure_ascii=False).encode(),
                             headers={"Content-Type": "application/json", **headers})


@pytest.fixture
async def vk_pipeline(vk_settings: Settings, database: Database, nats_url: str) -> AsyncIterator[Any]:
    """Every worker running with the VK channel configured (its sender talks to the fake), directory seeded."""
    async with seeded_gateway(vk_settings, database, nats_url) as workers:
        yield workers
