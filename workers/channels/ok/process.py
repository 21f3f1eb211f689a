"""The OK.ru long-polling intake process (`complaints worker ok` in mode "longpoll")."""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from nats.js import JetStreamContext
from nats.js.api import PubAck

from channels.base import RawSubmission
from channels.ok.api import OkApi, OkError
from channels.ok.longpoll import MARKERS, OkLongPoll
from channels.positions import PositionStore
from workers.app.service import ChannelProcess
from workers.bus.publish import publish_to_intake
from workers.bus.shunt import record_at_edge
from workers.channels.ok.plugin import LONG_POLL_STAGE

log = logging.getLogger("complaints.ok")



async def quarantine_ok(js: JetStreamContext, stage: str, reason: str, data: bytes, key: str) -> PubAck:
    """A SHUNT record for an OK event we cannot take (kept with the reason; deduplicated on its body)."""
    return await record_at_edge(js, stage, reason, f"ok:{stage}", data, key)


@dataclass
class OkLongPollProcess(ChannelProcess):
    poller: OkLongPoll = field(init=False)
    api: OkApi = field(init=False)

    async def open(self, js: JetStreamContext) -> dict[str, Coroutine[Any, Any, None]]:
        config = self.settings.ok
        if config is None:
            raise RuntimeError("the OK channel is not configured (COMPLAINTS_OK)")
        markers = await PositionStore.open(js, MARKERS, self.settings.stream_replicas)
        self.api = OkApi(config)
        try:
            await self.api.subscribe_longpoll(config.poll_types)
        except OkError as exc:  # already subscribed, or OK is away: polling tells the rest
            log.warning("ok: long polling subscription not confirmed: %s", exc)

        async def publish(raw: RawSubmission) -> PubAck:
            return await publish_to_intake(js, raw)

        async def quarantine(reason: str, data: bytes, key: str) -> PubAck:
            return await quarantine_ok(js, LONG_POLL_STAGE, reason, data, key)

        self.poller = OkLongPoll(config, self.api, markers, publish, quarantine, stop=self.stopping)
        log.info("ok long polling running")
        return {"ok-longpoll": self.poller.run()}

    async def close(self) -> None:
        await self.api.aclose()
