"""Fixtures the routing tests share: the store seeded with the test directory (clients, staff, identities)."""

from __future__ import annotations

import pytest

from tests.support.directory import seed_directory
from workers.app.runtime import Database


@pytest.fixture
async def seeded(database: Database) -> Database:
    """The store with the directory of tests.support.directory (a module may seed its own instead)."""
    async with database.sessions() as session, session.begin():
        await seed_directory(session)
    return database
