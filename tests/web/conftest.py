"""Web fixtures: a connected broker with every stream declared, the app, an API client and a staff browser."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from faststream.nats import NatsBroker
from nats.js.errors import NoKeysError, NotFoundError

from workers.app.runtime import Database, declare_all_streams, make_broker
from workers.app.settings import Settings
from workers.bus.request_records import bucket as request_records_bucket
from workers.bus.shunt import jetstream_of
from workers.bus.streams import declare_streams

API_TOKEN = "test-token-lk"  # tests/conftest.py: api_tokens={"lk": "test-token-lk"}
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


async def connected_broker(url: str, settings: Settings) -> NatsBroker:
    broker = make_broker(url)
    await broker.connect()
    await declare_all_streams(broker, declare_streams(settings.duplicate_window, settings.stream_replicas))
    return broker


@pytest.fixture
async def broker(nats_url: str, settings: Settings) -> AsyncIterator[NatsBroker]:
    broker = await connected_broker(nats_url, settings)
    yield broker
    await broker.stop()


@pytest.fixture
def app(settings: Settings, database: Database, broker: NatsBroker) -> FastAPI:
    from workers.web import create_app

    return create_app(settings, database, broker)


@pytest.fixture
async def api(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver",
        headers={"Authorization": f"Bearer {API_TOKEN}"},
    ) as client:
        yield client


@pytest.fixture
async def web(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A staff browser without a session (log in with `login()`)."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        yield client


def csrf_of(html: str) -> str:
    found = CSRF_RE.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


async def login(client: httpx.AsyncClient, user: str, password: str = "secret-pass") -> httpx.Response:
    page = await client.get("/login")
    return await client.post(
        "/login", data={"login": user, "password": password, "csrf_token": csrf_of(page.text), "next": "/"}
    )


async def stream_count(broker: NatsBroker, stream: str = "INTAKE") -> int:
    info = await jetstream_of(broker).stream_info(stream)
    return int(info.state.messages)


async def request_records(broker: NatsBroker) -> int:
    """The REST API's Idempotency-Key records in the API_REQUESTS bucket (deleted ones not counted)."""
    try:
        return len(await request_records_bucket(jetstream_of(broker)).keys())
    except NoKeysError:
        return 0


async def last_intake(broker: NatsBroker, channel: str) -> bytes | None:
    try:
        msg = await jetstream_of(broker).get_last_msg("INTAKE", f"intake.raw.{channel}")
    except NotFoundError:
        return None
    return msg.data
