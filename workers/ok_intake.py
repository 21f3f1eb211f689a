"""The OK.ru long-polling intake process (`complaints worker ok` in mode "longpoll")."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from faststream.nats import NatsBroker
from nats.js import JetStreamContext
from nats.js.api import PubAck

from channels.base import RawSubmission
from channels.ok.api import OkApi, OkError
from channels.ok.longpoll import OkLongPoll
from channels.ok.position import MarkerStore
from workers.runtime import finish_tasks, open_broker, publish_to_intake
from workers.settings import Settings
from workers.shunt import jetstream_of, record_at_edge

log = logging.getLogger("complaints.ok")

SHUNT_STAGE = "ok_longpoll"
STOP_TIMEOUT = 10.0


async def quarantine_ok(js: JetStreamContext, stage: str, reason: str, data: bytes, key: str) -> PubAck:
    """A SHUNT record for an OK event we cannot take (kept with the reason; deduplicated on its body)."""
    return await record_at_edge(js, stage, reason, f"ok:{stage}", data, key)


@dataclass
class OkLongPollIntake:
    settings: Settings
    nats_url: str | None = None
    poller: OkLongPoll = field(init=False)
    broker: NatsBroker = field(init=False)
    api: OkApi = field(init=False)
    _stop: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _task: asyncio.Task[None] | None = field(default=None, init=False)

    async def start(self) -> None:
        settings = self.settings
        config = settings.ok
        if config is None:
            raise RuntimeError("the OK channel is not configured (COMPLAINTS_OK)")
        self.broker = await open_broker(settings, self.nats_url)
        js = jetstream_of(self.broker)
        markers = await MarkerStore.open(js, settings.stream_replicas)
        self.api = OkApi(config)
        try:
            await self.api.subscribe_longpoll(config.poll_types)
        except OkError as exc:  # already subscribed, or OK is away: polling tells the rest
            log.warning("ok: long polling subscription not confirmed: %s", exc)

        async def publish(raw: RawSubmission) -> PubAck:
            return await publish_to_intake(js, raw)

        async def quarantine(reason: str, data: bytes, key: str) -> PubAck:
            return await quarantine_ok(js, SHUNT_STAGE, reason, data, key)

        self.poller = OkLongPoll(config, self.api, markers, publish, quarantine, stop=self._stop)
        self._task = asyncio.create_task(self.poller.run(), name="ok-longpoll")
        log.info("ok long polling running")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await finish_tasks([self._task], STOP_TIMEOUT)
        await self.api.aclose()
        await self.broker.stop()

    async def __aenter__(self) -> OkLongPollIntake:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
