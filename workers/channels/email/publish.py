"""The email intake's publish into INTAKE: a fetched batch's mails go out together, one PubAck wait for all.

publish_to_intake (workers.bus.publish) is a js.publish per mail: a request with its own inbox token and
timer, a third of the intake's CPU per mail. The intake hands a whole fetched batch on at once (one
publish_mail per mail, all started in the same turn of the event loop), so here the calls of one turn
are gathered into one BatchPublisher batch: every PubAck comes to one reply subscription and the lot is
awaited with one timer. Each caller still gets its own mail's PubAck (or error), and sends the same
subject, body and headers as publish_to_intake; a mail without a PubAck in time is resent with the same
Nats-Msg-Id, within PUBLISH_TIMEOUT for all the attempts.
"""

from __future__ import annotations

import asyncio
import weakref

from nats.js import JetStreamContext
from nats.js.api import PubAck

from channels.base import RawSubmission
from workers.bus.batching import BatchPublisher, Publication, publisher_for
from workers.bus.publish import ATTEMPTS, PUBLISH_TIMEOUT, intake_message


class TurnBatcher:
    """Sends the messages handed to `publish` in one turn of the event loop as one batch."""

    def __init__(self, publisher: BatchPublisher) -> None:
        self.publisher = publisher
        self._queued: list[tuple[Publication, asyncio.Future[PubAck | Exception]]] = []
        self._sending: set[asyncio.Task[None]] = set()  # a running task must be referenced

    async def publish(self, message: Publication) -> PubAck | Exception:
        """The message's PubAck, or why it was not stored."""
        loop = asyncio.get_running_loop()
        if not self._queued:
            loop.call_soon(self._send)  # after the tasks already runnable in this turn have queued theirs
        result: asyncio.Future[PubAck | Exception] = loop.create_future()
        self._queued.append((message, result))
        return await result

    def _send(self) -> None:
        queued, self._queued = self._queued, []
        task = asyncio.ensure_future(self._publish(queued))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _publish(self, queued: list[tuple[Publication, asyncio.Future[PubAck | Exception]]]) -> None:
        try:
            try:
                results = await self.publisher.publish([message for message, _ in queued])
            except Exception as exc:  # e.g. the reply subscription failed: nothing was sent
                results = [exc] * len(queued)
            for (_, future), result in zip(queued, results, strict=True):
                if not future.done():  # (its caller was cancelled)
                    future.set_result(result)
        finally:
            for _, future in queued:  # this task cancelled: its callers must not wait for ever
                future.cancel()


# One per connection; an attempt waits its share of PUBLISH_TIMEOUT, as in publish_to_intake.
_BATCHERS: weakref.WeakKeyDictionary[JetStreamContext, TurnBatcher] = weakref.WeakKeyDictionary()


def batcher_for(js: JetStreamContext) -> TurnBatcher:
    if js not in _BATCHERS:
        _BATCHERS[js] = TurnBatcher(publisher_for(js, PUBLISH_TIMEOUT / ATTEMPTS))
    return _BATCHERS[js]


async def publish_mail(js: JetStreamContext, raw: RawSubmission, attempts: int = ATTEMPTS) -> PubAck:
    """Returns only after JetStream's PubAck; a timed-out publish is resent with the same Msg-Id."""
    message = Publication(*intake_message(raw))
    for attempt in range(1, attempts + 1):
        result = await batcher_for(js).publish(message)
        if isinstance(result, PubAck):
            return result
        if not isinstance(result, TimeoutError) or attempt == attempts:
            raise result
    raise AssertionError("unreachable")
