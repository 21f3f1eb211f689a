"""Database engine and sessions (SQLite WAL by default, PostgreSQL by URL) and schema migrations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.ext.asyncio import AsyncSession as AsyncSession  # re-exported for callers

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite+aiosqlite:///{data_dir / 'complaints.db'}"


def _unicode_lower(text: object) -> object:
    return text.lower() if isinstance(text, str) else text


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # SQLite's own lower() folds ASCII only: a search for «иванов» missed «Иванов» (PostgreSQL folds by locale).
    # Case-insensitive matching (icontains: lower(a) LIKE lower(b)) needs the whole alphabet.
    dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)
    cursor = dbapi_connection.cursor()
    # WAL: readers never block the writer. FULL: each commit syncs the WAL before it returns. Under NORMAL
    # a power cut could undo the last commits, while the stage had already acked their messages after the
    # commit and nats-server syncs its consumers' state on its own schedule: an acknowledged submission
    # whose ticket is gone. One sync per transaction (a routing batch is one), not per complaint.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
    dbapi_connection.isolation_level = None


READ_ONLY = "complaints_read_only"


def _sqlite_begin(conn: Connection) -> None:
    # IMMEDIATE takes the write lock up front: several processes (web, route, relay) share the file,
    # and a deferred transaction that later writes can fail with SQLITE_BUSY despite busy_timeout.
    # Read-only work begins deferred and, in WAL mode, never waits for the writer.
    conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")


def read_only(engine: AsyncEngine) -> AsyncEngine:
    """The same engine and pool, for transactions that only read."""
    return engine.execution_options(**{READ_ONLY: True})


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    # Error messages must not carry row values (personal data) into the logs.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        # One connection per process: SQLite has a single writer anyway, and waiting in the pool
        # (an asyncio queue) is prompt, while SQLite's busy handler sleeps in growing steps.
        kwargs.setdefault("pool_size", 1)
        kwargs.setdefault("max_overflow", 0)
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        # The driver's own transaction handling breaks SAVEPOINT; SQLAlchemy emits BEGIN itself instead.
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_size", 10)
    # No pre-ping: it is a round trip on every checkout, paid by every request. A connection that died
    # with the server fails its next statement instead; SQLAlchemy then invalidates the whole pool (every
    # connection older than the failure), and the caller treats the error as an outage and retries
    # (workers.app.runtime.database_unavailable).
    kwargs.setdefault("pool_pre_ping", False)
    return create_async_engine(url, **kwargs)


def make_sync_engine(url: str) -> Engine | None:
    """SQLite only: a synchronous engine on the same file for batch transactions run in a thread.

    aiosqlite hops to its thread and back for every statement (~0.1 ms each here); a batch run
    with the plain driver in one executor call saves most of that. PostgreSQL (asyncpg) has no
    such cost, so it has no sync engine.
    """
    if not url.startswith("sqlite+aiosqlite"):
        return None
    engine = create_engine(
        url.replace("sqlite+aiosqlite", "sqlite", 1),
        hide_parameters=True,
        pool_size=1,
        max_overflow=0,
        connect_args={"check_same_thread": False},
    )
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


async def migrate(engine: AsyncEngine) -> None:
    """Bring the schema to the newest revision (idempotent; safe at every start)."""

    def upgrade(sync_connection: Connection) -> None:
        command.upgrade(alembic_config(sync_connection), "head")

    async with engine.begin() as conn:
        await conn.run_sync(upgrade)
