"""The long-polling alternative to the webhook: graph.user.updates -> INTAKE, then the marker moves.

Per round: GET /graph/me/updates?marker=<saved>&count=&timeout= ; every update is triaged like a
webhook body (a new message is published and waited for, an ignored kind counted, a bad one
quarantined); only when the whole batch is handed off is the returned marker saved. A failure
anywhere leaves the marker where it was: the next round asks again from there (repeats are
dropped by the stream's dedup on "ok:<mid>").
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from channels.base import BadSubmission, RawSubmission
from channels.ok import parse
from channels.ok.api import OkApi, OkApiError, OkError
from channels.ok.config import OkConfig
from channels.ok.webhook import METRICS, body_key
from channels.positions import PositionStore, text_positions

log = logging.getLogger("complaints.ok.longpoll")

Publish = Callable[[RawSubmission], Awaitable[object]]
Quarantine = Callable[[str, bytes, str], Awaitable[object]]
BACKOFF = (1.0, 2.0, 5.0, 15.0, 30.0)


MARKERS = text_positions("OK_LONGPOLL", "OK.ru long polling: the marker after the last published update")
MARKER_KEY = "marker"


class OkLongPoll:
    def __init__(self, config: OkConfig, api: OkApi, markers: PositionStore[str], publish: Publish,
                 quarantine: Quarantine, stop: asyncio.Event | None = None,
                 backoff: tuple[float, ...] = BACKOFF) -> None:
        self.config = config
        self.api = api
        self.markers = markers
        self.publish = publish
        self.quarantine = quarantine
        self.stop = stop or asyncio.Event()
        self.backoff = backoff
        self.failures = 0

    async def run(self) -> None:
        while not self.stop.is_set():
            try:
                if not await self._poll_unless_stopped():
                    return
                self.failures = 0
            except Exception as exc:  # the platform or NATS is away: wait, then ask again from the marker
                self.failures += 1
                delay = self.backoff[min(self.failures, len(self.backoff)) - 1]
                level = logging.ERROR if isinstance(exc, OkApiError) and not exc.temporary else logging.WARNING
                log.log(level, "ok long polling failed (%s: %s); again in %.0fs", type(exc).__name__,
                        exc if isinstance(exc, OkError) else "", delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stop.wait(), delay)

    async def _poll_unless_stopped(self) -> bool:
        """A round, abandoned when `stop` is set meanwhile (safe: the marker moves only after a batch)."""
        poll = asyncio.ensure_future(self.poll_once())
        stopping = asyncio.ensure_future(self.stop.wait())
        try:
            await asyncio.wait({poll, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
        if poll.done():
            poll.result()
            return True
        poll.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await poll
        return False

    async def poll_once(self) -> int:
        """One round; returns how many updates it handed off or recorded."""
        marker = await self.markers.load(MARKER_KEY)
        result = await self.api.updates(marker, self.config.poll_count, self.config.poll_wait)
        updates = result.get("updates") or []
        if not isinstance(updates, list):
            raise OkApiError(200, None, "graph.user.updates: 'updates' is not a list", temporary=True)
        for update in updates:
            await self._take(update)
        following = result.get("marker")
        if following is not None and str(following) != marker:
            await self.markers.save(MARKER_KEY, str(following))
        return len(updates)

    async def _take(self, update: Any) -> None:
        body = json.dumps(update, ensure_ascii=False, sort_keys=True).encode()
        try:
            if not isinstance(update, dict):
                raise BadSubmission("обновление не JSON-объект / update is not a JSON object")
            triaged = parse.triage(update, datetime.now(UTC))
        except BadSubmission as exc:
            await self.quarantine(str(exc), body, body_key(body))
            METRICS["quarantined"] += 1
            return
        if isinstance(triaged, str):
            METRICS[f"ignored:{triaged}"] += 1
            METRICS["ignored"] += 1
            return
        await self.publish(triaged)
        METRICS["polled"] += 1
