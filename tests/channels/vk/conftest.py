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
from tests.web.conftest import connected_broker
from workers.runtime import Database
from workers.settings import Settings

DATA = Path(__file__).resolve().parents[2] / "data" / "vk"
GROUP_ID = 229000001
SECRET = "s3cr3t-callback-key"
CONFIRMATION = "a1b2c3d4"


def event(name: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))
    body.update(changes)
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
def vk_settings(settings: Settings, fake_vk: FakeVk) -> Settings:
    return settings.model_copy(update={"vk": vk_config(fake_vk)})


@pytest.fixture
async def vk_broker(nats_url: str, vk_settings: Settings) -> AsyncIterator[NatsBroker]:
    broker = await connected_broker(nats_url, vk_settings)
    yield broker
    await broker.stop()


@pytest.fixture
async def vk_web(vk_settings: Settings, database: Database, vk_broker: NatsBroker) -> AsyncIterator[httpx.AsyncClient]:
    from workers.web import create_app

    app = create_app(vk_settings, database, vk_broker)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        yield client


async def post_event(client: httpx.AsyncClient, body: dict[str, Any], **headers: str) -> httpx.Response:
    return await client.post("/channels/vk/callback", content=json.dumps(body, ensure_ascii=False).encode(),
                             headers={"Content-Type": "application/json", **headers})


@pytest.fixture
async def vk_pipeline(vk_settings: Settings, database: Database, nats_url: str) -> AsyncIterator[Any]:
    """Every worker running with the VK channel configured (its sender talks to the fake), directory seeded."""
    from tests.support.directory import seed_directory
    from workers.gateway import WorkerSet

    async with database.sessions() as session, session.begin():
        await seed_directory(session)
    async with WorkerSet(vk_settings, database=database, nats_url=nats_url) as workers:
        yield workers
