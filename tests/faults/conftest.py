"""Fixtures the fault tests share."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.directory import seed_directory
from workers.app.runtime import Database
from workers.app.settings import Settings


@pytest.fixture
async def database(data_dir: Path, nats_url: str) -> AsyncIterator[Database]:
    """The gateway's SQLite store in `data_dir`, migrated and seeded with the test directory (the gateway's
    processes open the same file)."""
    db = Database.from_settings(Settings(data_dir=data_dir, NATS_URL=nats_url))
    await db.migrate()
    async with db.sessions() as session, session.begin():
        await seed_directory(session)
    yield db
    await db.close()
