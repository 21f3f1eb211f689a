"""Migration 0013 on a store that already holds repeated content ids (possible before it, from two route
replicas): the earliest row keeps its content id, the later copies lose only that, and the index is unique."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import Connection, insert, inspect, select

from router.models import Submission
from router.store import alembic_config
from workers.app.runtime import Database

pytestmark = pytest.mark.usefixtures("database_url")
AT = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def _row(n: int, content_id: str | None, routed_at: datetime) -> dict[str, object]:
    return {"id": f"00000000-0000-0000-0000-{n:012d}", "channel": "email", "native_id": f"uid:{n}",
            "content_id": content_id, "received_at": AT, "routed_at": routed_at, "event": {}}


def _migrate_from_0012(connection: Connection) -> None:
    command.downgrade(alembic_config(connection), "0012")
    assert not _content_index(connection)["unique"]
    connection.execute(insert(Submission), [
        _row(1, "<a@mail>", AT + timedelta(seconds=5)),
        _row(2, "<a@mail>", AT),  # the earliest routed: keeps it
        _row(3, "<a@mail>", AT),  # same moment: the smaller id wins
        _row(4, "<b@mail>", AT),
        _row(5, None, AT), _row(6, None, AT),
    ])
    command.upgrade(alembic_config(connection), "head")


def _content_index(connection: Connection) -> dict[str, object]:
    [index] = [i for i in inspect(connection).get_indexes("submissions")
               if i["name"] == "ix_submissions_channel_content"]
    return dict(index)


async def test_the_migration_keeps_the_earliest_content_id_and_makes_it_unique(database: Database) -> None:
    async with database.engine.begin() as connection:
        await connection.run_sync(_migrate_from_0012)
        rows = {native_id: content_id for native_id, content_id in await connection.execute(
            select(Submission.native_id, Submission.content_id))}
        unique = (await connection.run_sync(_content_index))["unique"]
    assert rows == {"uid:1": None, "uid:2": "<a@mail>", "uid:3": None, "uid:4": "<b@mail>",
                    "uid:5": None, "uid:6": None}
    assert unique
