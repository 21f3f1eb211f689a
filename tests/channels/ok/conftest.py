"""OK.ru channel fixtures: the fake OK API on loopback, settings pointing at it, a webhook client per source IP."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from faststream.nats import NatsBroker
from sqlalchemy import select

from channels.ok.config import OkConfig
from router.models import Client, ClientIdentity
from tests.support.directory import IVANOV, seed_directory
from tests.support.fake_ok import FakeOk, fake_ok
from tests.support.gateway import web_client
from tests.web.conftest import connected_broker
from workers.app.runtime import Database
from workers.app.settings import Settings

DATA = Path(__file__).parents[2] / "data" / "ok"
SECRET = "s3cr3t-path-0123456789abcdef"
OK_SOURCE = ("217.20.151.165", 40001)  # inside OK's published 217.20.151.160/28
IVANOV_OK_ID = "571982496545"  # sender of message_created.json


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "ok_config(**fields): OkConfig fields for this test (over the defaults)")


def payload(name: str) -> dict[str, Any]:
    return copy.deepcopy(json.loads((DATA / name).read_text(encoding="utf-8")))


def body(name: str) -> bytes:
    return (DATA / name).read_bytes()


@pytest.fixture
def fake() -> Iterator[FakeOk]:
    with fake_ok() as server:
        yield server


@pytest.fixture
def platform(fake: FakeOk) -> FakeOk:
    """The fake platform the channel contracts (tests/channels/contract/) talk to."""
    return fake


@pytest.fixture
def settings(settings: Settings, fake: FakeOk, request: pytest.FixtureRequest) -> Settings:
    """The shared settings with the OK channel on, talking to the fake (mark `ok_config` to change fields)."""
    fields: dict[str, Any] = {"token": fake.token, "api_base": fake.base_url, "webhook_secret": SECRET}
    marker = request.node.get_closest_marker("ok_config")
    if marker is not None:
        fields.update(marker.kwargs)
    return settings.model_copy(update={"ok": OkConfig.model_validate(fields)})


@pytest.fixture
async def broker(nats_url: str, settings: Settings) -> AsyncIterator[NatsBroker]:
    broker = await connected_broker(nats_url, settings)
    yield broker
    await broker.stop()


def webhook_client(settings: Settings, database: Database, broker: NatsBroker | None,
                   source: tuple[str, int] = OK_SOURCE) -> httpx.AsyncClient:
    return web_client(settings, database, broker, source)


async def post_webhook(client: httpx.AsyncClient, content: bytes, secret: str = SECRET,
                       headers: dict[str, str] | None = None) -> httpx.Response:
    return await client.post(f"/channels/ok/webhook/{secret}", content=content,
                             headers={"Content-Type": "application/json;charset=utf-8", **(headers or {})})


async def seed_with_ok_identity(database: Database) -> None:
    """The test directory, with Ivanov known by his OK id."""
    async with database.sessions() as session, session.begin():
        await seed_directory(session)
    async with database.sessions() as session, session.begin():
        ivanov = await session.scalar(select(Client).where(Client.contract_number == IVANOV.contract))
        assert ivanov is not None
        session.add(ClientIdentity(client_id=ivanov.id, kind="ok", value=IVANOV_OK_ID))
