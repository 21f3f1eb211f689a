"""Fixtures the fault tests share."""

from __future__ import annotations

import pytest

from tests.support.directory import seed_store
from workers.app.runtime import Database


@pytest.fixture
async def database(database: Database) -> Database:
    """The store of tests/conftest.py (SQLite in `data_dir`, which the gateway's processes open too), seeded with
    the test directory: every fault test starts from the directory's clients."""
    return await seed_store(database)
