"""The Alembic migrations build exactly the schema the models declare (tables, columns, indexes, unique
constraints), on SQLite and PostgreSQL: a hand-written migration that drifts from router.models fails here."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from router.models import Base
from workers.app.runtime import Database

pytestmark = pytest.mark.usefixtures("database_url")


def _drift(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": False})
    return [diff for diff in compare_metadata(context, Base.metadata)
            # Server defaults and comments are not compared; nor is alembic's own version table.
            if not (isinstance(diff, tuple) and diff[0] == "remove_table" and diff[1].name == "alembic_version")]


async def test_the_migrated_schema_is_the_models_schema(database: Database) -> None:
    async with database.engine.connect() as connection:
        drift = await connection.run_sync(_drift)
    assert drift == []
