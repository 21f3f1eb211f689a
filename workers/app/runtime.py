"""What every process of the gateway holds: settings, the database and the broker connection."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from faststream.nats import NatsBroker
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from normalizer.config import NormalizerConfig
from router.store import make_engine, make_sessionmaker, make_sync_engine, migrate, read_only
from workers.app.nats_embedded import running_embedded_url
from workers.app.settings import Settings
from workers.app.writer_thread import WriterThread
from workers.bus.streams import Streams, declare_streams

R = TypeVar("R")


class NatsNotRunning(RuntimeError):
    pass


# asyncpg's errors meaning "the server is not there (now)", by name: the driver is optional (SQLite needs none).
_OUTAGE_ERRORS = frozenset({
    "CannotConnectNowError", "ConnectionDoesNotExistError", "ConnectionFailureError", "AdminShutdownError",
    "CrashShutdownError", "ConnectionRejectionError", "ClientCannotConnectError", "PostgresConnectionError",
    "TooManyConnectionsError",
})

_NETWORK_ERRNOS = frozenset({errno.ECONNREFUSED, errno.ECONNRESET, errno.ECONNABORTED, errno.EPIPE,
                             errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ETIMEDOUT})


def database_unavailable(exc: BaseException) -> bool:
    """The error says the database cannot be reached (stopped, restarting, connection lost or refused), not that
    the work is wrong: retried for as long as the outage lasts, never counted toward giving up."""
    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ConnectionError | PoolTimeout | socket.gaierror):  # refused, reset; pool exhausted
            return True
        if isinstance(current, OSError) and current.errno in _NETWORK_ERRNOS:
            return True
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        if type(current).__module__.startswith("asyncpg") and type(current).__name__ in _OUTAGE_ERRORS:
            return True
        current = current.orig if isinstance(current, DBAPIError) and current.orig is not None else current.__cause__
    return False


def resolve_nats_url(settings: Settings) -> str:
    if settings.nats_url:
        return settings.nats_url
    url = running_embedded_url(settings.data_dir)
    if url is None:
        raise NatsNotRunning(
            "NATS is not running: start the gateway with `complaints up` or set NATS_URL to a server"
        )
    return url


def make_broker(url: str, **kwargs: object) -> NatsBroker:
    # Reconnect forever: a worker outlives a NATS restart or a cluster node failover.
    # Per-message access logs at DEBUG: at INFO they cost more CPU than the work itself.
    kwargs.setdefault("log_level", logging.DEBUG)
    return NatsBroker(servers=url.split(","), max_reconnect_attempts=-1, reconnect_time_wait=0.5, **kwargs)  # type: ignore[arg-type]


@dataclass
class Database:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    # For transactions that only read: on SQLite they neither wait for nor block the writer (WAL).
    read_sessions: async_sessionmaker[AsyncSession]
    sync_engine: Engine | None = None
    _writer: WriterThread = field(default_factory=WriterThread, repr=False)
    _last_submitted: asyncio.Future[Any] | None = field(default=None, repr=False)  # PostgreSQL: submit_transaction

    @classmethod
    def from_settings(cls, settings: Settings, **engine_kwargs: object) -> Database:
        url = settings.effective_database_url
        engine = make_engine(url, **engine_kwargs)
        return cls(engine, make_sessionmaker(engine), make_sessionmaker(read_only(engine)), make_sync_engine(url))

    async def run_transaction(self, work: Callable[[Session], R], urgent: bool = False) -> R:
        """Run `work(session)` in one transaction: committed if it returns, rolled back if it raises.

        On SQLite the whole transaction runs in one call to a single dedicated thread, which also
        serialises this process's writers without SQLite's sleeping busy handler; an `urgent` one (a
        routing batch: a client waits for its ticket) goes before the ordinary ones waiting there.
        """
        if self.sync_engine is None:
            async with self.sessions() as session, session.begin():
                return await session.run_sync(work)
        return await self.submit_transaction(work, urgent)

    def submit_transaction(self, work: Callable[[Session], R], urgent: bool = False) -> asyncio.Future[R]:
        """run_transaction queued now, awaited later: the transactions submitted one after another run one at a
        time, in that order, while the caller goes on (e.g. to fetch its next batch). On SQLite this call takes
        the transaction's place in the writer thread's line; on PostgreSQL each waits for the one submitted
        before it (two routing batches of one process never run side by side: the second sees the first's
        rows, as its duplicate checks expect)."""
        sync_engine = self.sync_engine
        if sync_engine is None:
            previous = self._last_submitted

            async def in_turn() -> R:
                if previous is not None:
                    await asyncio.wait([previous])  # its outcome is its own submitter's
                return await self.run_transaction(work, urgent)

            task = asyncio.ensure_future(in_turn())
            self._last_submitted = task
            return task

        def run() -> R:
            with Session(sync_engine, expire_on_commit=False) as session, session.begin():
                return work(session)

        return self._writer.submit(run, urgent)

    async def migrate(self) -> None:
        await migrate(self.engine)

    async def close(self) -> None:
        await asyncio.to_thread(self._writer.stop)  # the transactions queued so far end first
        await self.engine.dispose()
        if self.sync_engine is not None:
            self.sync_engine.dispose()


@dataclass
class Runtime:
    settings: Settings
    streams: Streams = field(init=False)
    # Built once from the settings and passed to normalize(): the normalizer keeps no configuration itself.
    normalizer_config: NormalizerConfig = field(init=False)

    def __post_init__(self) -> None:
        self.streams = declare_streams(self.settings.duplicate_window, self.settings.stream_replicas)
        self.normalizer_config = NormalizerConfig.from_settings(self.settings)


async def declare_all_streams(broker: NatsBroker, streams: Streams) -> None:
    """Create or update every stream (idempotent): publishers need them before any subscriber starts."""
    from nats.js.api import StreamConfig
    from nats.js.errors import NotFoundError

    from workers.bus import request_records

    js = broker.config.connection_state.stream
    for stream in streams.all():
        config: StreamConfig = replace(stream.config, subjects=list(stream.subjects))
        try:
            await js.stream_info(config.name)
            await js.update_stream(config)
        except NotFoundError:
            await js.add_stream(config)
    await request_records.declare_bucket(js, streams.intake.config.num_replicas or 1)


async def open_broker(settings: Settings, nats_url: str | None = None) -> NatsBroker:
    """A connected broker with every stream declared: what the web process and the channel processes start with."""
    broker = make_broker(nats_url or resolve_nats_url(settings))
    await broker.connect()
    await declare_all_streams(broker, declare_streams(settings.duplicate_window, settings.stream_replicas))
    return broker


async def finish_tasks(tasks: Iterable[asyncio.Task[Any]], grace: float = 10.0) -> None:
    """Give loops that were told to stop `grace` seconds to finish their batch, then cancel the stragglers."""
    pending = set(tasks)
    if pending:
        _, pending = await asyncio.wait(pending, timeout=grace)
    for task in pending:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
