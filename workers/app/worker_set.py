"""WorkerSet: run any subset of the workers on one broker connection (one process or many)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from faststream.nats import NatsBroker

from workers.app.heap import settle_heap
from workers.app.runtime import Database, Runtime, declare_all_streams, make_broker, resolve_nats_url
from workers.app.service import Service
from workers.app.settings import Settings
from workers.bus import batching, nats_compat  # noqa: F401 - nats_compat patches on import
from workers.bus.consumers import ConsumerSpec, ensure_consumer
from workers.bus.shunt import jetstream_of
from workers.bus.streams import OUTBOX_WAKE_SUBJECT
from workers.channels.senders.selection import Senders
from workers.stages import attachments, deliver, normalize, notify, relay, route, sla

log = logging.getLogger("complaints.gateway")

WORKER_NAMES = ("normalize", "route", "relay", "deliver", "attachments", "notify", "sla")
def process_groups(settings: Settings) -> list[tuple[str, ...]]:
    """How `complaints up` splits the workers into processes.

    On SQLite every writer shares one file lock, so the three workers that write (route, relay,
    deliver) share one process and one connection; on PostgreSQL each worker gets its own process.
    """
    if settings.effective_database_url.startswith("sqlite"):
        return [("normalize",), ("route", "relay", "deliver", "attachments", "notify", "sla")]
    return [(name,) for name in WORKER_NAMES]


def stage_registrars(broker: NatsBroker, runtime: Runtime, database: Database) -> dict[str, Callable[[], object]]:
    """Each consuming worker's FastStream registration by name (relay and sla run loops of their own); what
    one returns is kept by WorkerSet (the deliver worker's senders). `complaints docs` registers the same."""
    return {
        "normalize": lambda: normalize.register(broker, runtime),
        "route": lambda: route.register(broker, runtime, database),
        "deliver": lambda: deliver.register(broker, runtime, database),
        "attachments": lambda: attachments.register(broker, runtime, database),
        "notify": lambda: notify.register(broker, runtime, database),
    }


def servers_of(url: str) -> str:
    """The NATS servers of `url` (comma-separated) as host:port, without the credentials a URL may carry."""
    return ", ".join(f"{part.hostname}:{part.port}" for part in map(urlsplit, url.split(",")))


CONSUMERS: dict[str, ConsumerSpec] = {
    "normalize": normalize.SPEC,
    "route": route.SPEC,
    "deliver": deliver.SPEC,
    "attachments": attachments.SPEC,
    "notify": notify.SPEC,
}


@dataclass
class WorkerSet(Service):
    settings: Settings
    names: tuple[str, ...] = WORKER_NAMES
    database: Database | None = None
    nats_url: str | None = None
    broker: NatsBroker = field(init=False)
    _own_database: bool = field(default=False, init=False)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list, init=False)
    _senders: list[Senders] = field(default_factory=list, init=False)  # the deliver worker's, closed at stop
    _stop: asyncio.Event = field(default_factory=asyncio.Event, init=False)

    def __post_init__(self) -> None:
        unknown = set(self.names) - set(WORKER_NAMES)
        if unknown:
            raise ValueError(f"unknown worker(s) {sorted(unknown)}; known: {', '.join(WORKER_NAMES)}")

    async def start(self) -> None:
        settle_heap()  # once per process, after the imports, before the first batch
        runtime = Runtime(self.settings)
        if self.database is None:
            self.database = Database.from_settings(self.settings)
            self._own_database = True
        await self.database.migrate()
        url = self.nats_url or resolve_nats_url(self.settings)
        self.broker = make_broker(url)
        registrars = stage_registrars(self.broker, runtime, self.database)
        for name in self.names:
            if name in registrars and isinstance(registered := registrars[name](), Senders):
                self._senders.append(registered)  # the deliver worker's: their kept clients are closed at stop
        log.info("connecting to NATS at %s", servers_of(url))
        await self.broker.connect()
        await declare_all_streams(self.broker, runtime.streams)
        js = jetstream_of(self.broker)
        for name in self.names:
            if name in CONSUMERS:
                await ensure_consumer(js, CONSUMERS[name], self.settings)
        await self.broker.start()
        if "relay" in self.names:
            await self._start_relay()
        if "sla" in self.names:
            assert self.database is not None
            self._tasks.append(asyncio.create_task(sla.sla_forever(self.database, self.settings, self._stop)))
        log.info("workers running: %s", ", ".join(self.names))

    async def _start_relay(self) -> None:
        wake = asyncio.Event()
        connection = self.broker.config.connection_state.connection

        async def nudged(_msg: object) -> None:
            wake.set()

        await connection.subscribe(OUTBOX_WAKE_SUBJECT, cb=nudged)
        assert self.database is not None
        self._tasks.append(asyncio.create_task(
            relay.relay_forever(jetstream_of(self.broker), self.database, wake, self._stop,
                                self.settings.relay_interval * 20)
        ))

    async def stop(self) -> None:
        self._stop.set()
        # The subscribers stop pulling first; then the batches still committing or waiting for their PubAcks
        # get acked now, on the open connection, not redelivered after ack_wait.
        for subscriber in self.broker.subscribers:
            await subscriber.stop()
        with contextlib.suppress(TimeoutError):
            await batching.wait_settled()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.broker.stop()
        for senders in self._senders:  # after the broker: no batch is sending any more
            await senders.aclose()
        if self._own_database and self.database is not None:
            await self.database.close()
