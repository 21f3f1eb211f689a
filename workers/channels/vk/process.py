"""The VK Bots Long Poll intake (`complaints worker vk` in mode "longpoll"): events -> INTAKE.

One loop: fetch (vk_api in a thread) -> publish every event of the answer and wait for each PubAck
-> only then store the new `ts` (JetStream KV). A crash in between re-reads the same answer after
the restart: the INTAKE stream drops the repeats by Nats-Msg-Id, nothing is skipped. Connection
trouble and API errors reconnect with back-off. Also the shunt record for an event that cannot be
a complaint (shared with the Callback API endpoint).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import Counter
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from nats.js import JetStreamContext
from nats.js.api import PubAck

from channels.base import BadSubmission
from channels.positions import PositionStore
from channels.stopping import unless_stopped
from channels.vk.api import VkClient, VkError, VkUnavailable
from channels.vk.config import VkConfig
from channels.vk.longpoll import TS, LongPoller, ts_key
from channels.vk.parse import parse_event
from workers.app.service import ChannelProcess
from workers.bus.publish import publish_to_intake
from workers.bus.shunt import record_at_edge
from workers.channels.vk.plugin import LONG_POLL_STAGE

log = logging.getLogger("complaints.vk.longpoll")

METRICS: Counter[str] = Counter()


async def record_bad_event(js: JetStreamContext, body: bytes, native_id: str, reason: str) -> PubAck:
    """A SHUNT record for an authenticated VK event that cannot become a complaint (kept with the reason)."""
    return await record_at_edge(js, LONG_POLL_STAGE, reason, f"vk://{native_id}", body, f"vk:{native_id}")


@dataclass
class LongPollLoop:
    """The loop itself, on a JetStream context and a ts store (tests drive it directly)."""

    config: VkConfig
    js: JetStreamContext
    store: PositionStore[str]
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    client: VkClient | None = None
    renewals: int = 0  # how often a new key was fetched (failed 2/3 and reconnects)

    def __post_init__(self) -> None:
        if self.client is None:
            self.client = VkClient(self.config)

    async def run(self) -> None:
        attempt = 0
        while not self.stop.is_set():
            try:
                await self._session()
                return
            except Exception as exc:  # VK or NATS trouble: ts was not advanced, start over after a pause
                METRICS["reconnects"] += 1
                delays = self.config.reconnect_delays or [1.0]
                delay = delays[min(attempt, len(delays) - 1)]
                attempt += 1
                what = str(exc) if isinstance(exc, VkUnavailable | VkError) else type(exc).__name__
                log.warning("vk long poll: %s; reconnecting in %.1fs", what, delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stop.wait(), delay)

    async def _session(self) -> None:
        assert self.client is not None
        group_id = self.config.group_id
        poller = await asyncio.to_thread(LongPoller, self.client, self.config.longpoll_wait)
        self.renewals += 1
        saved = await self.store.load(ts_key(group_id))
        if saved is not None:
            poller.ts = saved  # resume: the events that came while we were down come now
        else:
            await self.store.save(ts_key(group_id), str(poller.ts))
        while not self.stop.is_set():
            answer = await self._fetch(poller)
            if answer is None:
                return  # stopping
            await self._handle(poller, answer)

    async def _fetch(self, poller: LongPoller) -> dict[str, Any] | None:
        # On stop the thread finishes its request; the answer is dropped and ts not advanced.
        return await unless_stopped(asyncio.to_thread(poller.fetch), self.stop)

    async def _handle(self, poller: LongPoller, answer: dict[str, Any]) -> None:
        group_id = self.config.group_id
        failed = answer.get("failed")
        if failed is None:
            updates = answer.get("updates")
            if not isinstance(updates, list) or "ts" not in answer:
                raise VkUnavailable("long poll: an answer without ts/updates")
            for update in updates:
                await self._hand_on(update)
            new_ts = str(answer["ts"])
        elif failed == 1:
            METRICS["failed_1"] += 1
            log.warning("vk long poll: failed 1 (history out of date), continuing from ts %s", answer.get("ts"))
            new_ts = str(answer.get("ts", poller.ts))
        elif failed == 2:
            METRICS["failed_2"] += 1
            log.info("vk long poll: failed 2 (key expired), renewing the key")
            await asyncio.to_thread(poller.renew, False)
            self.renewals += 1
            return
        elif failed == 3:
            METRICS["failed_3"] += 1
            log.warning("vk long poll: failed 3 (information lost), new key and ts; events may be lost")
            await asyncio.to_thread(poller.renew, True)
            self.renewals += 1
            new_ts = str(poller.ts)
        else:
            raise VkUnavailable(f"long poll: unknown failed={failed!r}")
        poller.ts = new_ts
        await self.store.save(ts_key(group_id), new_ts)  # only after every event of the answer has its PubAck

    async def _hand_on(self, update: Any) -> None:
        group_id = self.config.group_id
        if isinstance(update, dict) and update.get("group_id") not in (None, group_id):
            METRICS["wrong_group"] += 1
            log.warning("vk long poll: event of another community (%s) ignored", update.get("group_id"))
            return
        try:
            parsed = parse_event(update, group_id, datetime.now(UTC))
        except BadSubmission as exc:
            event_id = update.get("event_id") if isinstance(update, dict) else None
            await record_bad_event(self.js, json.dumps(update, ensure_ascii=False).encode(),
                                   f"{group_id}:{event_id}", str(exc))
            METRICS["quarantined"] += 1
            return
        if parsed.action != "submit" or parsed.raw is None:
            METRICS[f"ignored_{parsed.type}"] += 1
            log.info("vk long poll: event of type %r recorded and ignored (%s)", parsed.type, parsed.reason)
            return
        ack = await publish_to_intake(self.js, parsed.raw)
        METRICS["duplicate" if ack.duplicate else "accepted"] += 1


@dataclass
class VkLongPollProcess(ChannelProcess):
    """`async with VkLongPollProcess(settings):` runs the loop until the block ends."""

    loop: LongPollLoop | None = field(default=None, init=False)

    async def open(self, js: JetStreamContext) -> dict[str, Coroutine[Any, Any, None]]:
        config = self.settings.vk
        if config is None:
            raise RuntimeError("the VK channel is not configured (settings.vk)")
        self.loop = LongPollLoop(config, js, await PositionStore.open(js, TS, self.settings.stream_replicas),
                                 stop=self.stopping)
        log.info("vk long poll intake running for community %s", config.group_id)
        return {"vk-long-poll": self.loop.run()}
