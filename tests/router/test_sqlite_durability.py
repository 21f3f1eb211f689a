"""A commit on SQLite is on disk when it returns: the stages ack their messages right after it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from workers.app.runtime import Database
from workers.app.settings import Settings

SQLITE_SYNCHRONOUS_FULL = 2  # PRAGMA synchronous: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA


async def test_every_sqlite_connection_syncs_the_wal_on_each_commit(tmp_path: Path) -> None:
    # Under NORMAL in WAL mode a power cut can undo the last commits; the route stage acks after its commit, so
    # an acknowledged complaint could lose its ticket. FULL syncs the WAL at every commit.
    database = Database.from_settings(Settings(data_dir=tmp_path, NATS_URL="nats://127.0.0.1:1"))
    try:
        await database.migrate()
        async with database.engine.connect() as connection:  # the web process's and the readers' engine
            async_mode = (await connection.execute(text("PRAGMA journal_mode"))).scalar()
            async_sync = (await connection.execute(text("PRAGMA synchronous"))).scalar()
        assert database.sync_engine is not None
        with database.sync_engine.connect() as connection:  # the writer thread's engine (routing batches)
            writer_mode = connection.execute(text("PRAGMA journal_mode")).scalar()
            writer_sync = connection.execute(text("PRAGMA synchronous")).scalar()
    finally:
        await database.close()
    assert (async_mode, writer_mode) == ("wal", "wal")
    assert (async_sync, writer_sync) == (SQLITE_SYNCHRONOUS_FULL, SQLITE_SYNCHRONOUS_FULL)
