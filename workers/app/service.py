"""Service: what a gateway process runs (the worker set, a channel's intake process): `start()` opens and
spawns, `stop()` lets the work finish and closes, `async with` does both. ChannelProcess adds the broker
connection and the loop tasks every intake process has."""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, Self

from faststream.nats import NatsBroker
from nats.js import JetStreamContext

from workers.app.runtime import finish_tasks, open_broker
from workers.app.settings import Settings
from workers.bus.shunt import jetstream_of

log = logging.getLogger("complaints.service")

STOP_TIMEOUT = 10.0  # seconds a loop told to stop may take to finish its batch before it is cancelled


class Service(ABC):
    @abstractmethod
    async def start(self) -> None: ...

    @abstractmethod
    async def stop(self) -> None: ...

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


@dataclass
class ChannelProcess(Service):
    """A channel's intake process: one broker connection, and loops that check `stopping` between batches.

    A subclass opens its clients and returns its loops in `open(js)`, and closes its clients in `close()`.
    """

    settings: Settings
    nats_url: str | None = None
    broker: NatsBroker = field(init=False)
    stopping: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    tasks: list[asyncio.Task[None]] = field(default_factory=list, init=False)

    @abstractmethod
    async def open(self, js: JetStreamContext) -> dict[str, Coroutine[Any, Any, None]]:
        """Open the channel's clients; the loops to run, by task name."""

    async def close(self) -> None:
        """Close the channel's clients (after the loops have ended)."""

    async def start(self) -> None:
        self.broker = await open_broker(self.settings, self.nats_url)
        loops = await self.open(jetstream_of(self.broker))
        self.tasks = [asyncio.create_task(loop, name=name) for name, loop in loops.items()]

    async def stop(self) -> None:
        self.stopping.set()
        await finish_tasks(self.tasks, STOP_TIMEOUT)
        for task in self.tasks:
            if not task.cancelled() and task.exception() is not None:
                log.error("%s ended with %r", task.get_name(), task.exception())
        await self.close()
        await self.broker.stop()
