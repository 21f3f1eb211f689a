"""Pulled batches that leave as soon as work is there: the latency side of batching.

Two behaviours of the libraries held every message back for the whole collection window (50 ms) at
any rate that does not fill a batch, per stage, which put a floor of ~100 ms under submission -> ticket:

- nats-py's `PullSubscription.fetch(batch>1)`, when nothing is waiting, sends a request that waits on
  the server, and after its first message keeps waiting for more until the window ends;
- FastStream's batch pull loop calls fetch again and again until the batch is full or the window ends.

Here a fetch returns what is waiting at once (one `no_wait` request); with nothing waiting, it waits for
the first message and then only `COMPANY_WINDOW` for messages arriving right behind it. The loop hands
every non-empty fetch to the handler. Under load the batches still grow by themselves: whatever arrived
while the last batch was being handled is waiting, and is taken in one request.
"""

from __future__ import annotations

import json
import time
from contextlib import suppress
from typing import Any

from faststream.nats.subscriber.usecases.stream_pull_subscriber import BatchPullStreamSubscriber
from nats.aio.msg import Msg
from nats.errors import ConnectionClosedError
from nats.js import api
from nats.js.client import JetStreamContext
from nats.js.errors import APIError, ServiceUnavailableError

COMPANY_WINDOW = 0.005  # seconds a first message waits for others arriving right behind it
_ENDS = (api.StatusCode.NO_MESSAGES, api.StatusCode.REQUEST_TIMEOUT)


def _status(msg: Msg) -> str | None:
    return JetStreamContext.is_status_msg(msg)


def _pop(inner: Any) -> Msg:
    """The next delivered message of a non-empty subscription queue, taken as nats-py's next_msg takes it (the
    queue's byte count, task_done) but without the task, timer and uuid4 next_msg makes per call: per message,
    under load, that was a tenth of a consuming worker's event loop."""
    msg: Msg = inner._pending_queue.get_nowait()
    inner._pending_size -= len(msg.data)
    inner._pending_queue.task_done()
    return msg


def _take_pending(sub: Any, batch: int) -> list[Msg]:
    """Messages an earlier request delivered after its fetch returned (status messages dropped)."""
    taken: list[Msg] = []
    while len(taken) < batch and not sub._sub._pending_queue.empty():
        msg = _pop(sub._sub)
        if not _status(msg):
            taken.append(msg)
    return taken


async def _request(sub: Any, body: dict[str, Any]) -> None:
    await sub._nc.publish(sub._nms, json.dumps(body).encode(), sub._deliver)


async def _next(sub: Any, within: float) -> Msg:
    inner = sub._sub
    if not inner._pending_queue.empty() and not inner._conn.is_closed:
        return _pop(inner)  # already delivered: only an empty queue is waited on
    msg: Msg = await inner.next_msg(timeout=max(within, 0.0001))
    return msg


def _raise_if_error(msg: Msg) -> None:
    status = _status(msg)
    if status and status not in _ENDS and status not in (api.StatusCode.CONFLICT, api.StatusCode.CONTROL_MESSAGE):
        raise APIError.from_msg(msg)


async def _collect(sub: Any, msgs: list[Msg], batch: int, wait: float) -> None:
    """Append messages while each arrives within `wait` seconds, until the batch is full or a status ends it."""
    while len(msgs) < batch:
        try:
            msg = await _next(sub, wait)
        except TimeoutError:
            return
        status = _status(msg)
        if status == api.StatusCode.CONTROL_MESSAGE:
            continue
        if status:
            _raise_if_error(msg)
            return
        msgs.append(msg)


async def fetch_batch(sub: Any, batch: int, timeout: float | None) -> list[Msg]:  # noqa: ASYNC109 - fetch's
    """Up to `batch` messages: those waiting now, else the first to arrive within `timeout` and its company.

    Raises TimeoutError when nothing arrived, as nats-py's fetch does."""
    timeout = 5.0 if timeout is None else timeout
    started = time.monotonic()
    msgs = _take_pending(sub, batch)
    if len(msgs) == batch:
        return msgs
    await _request(sub, {"batch": batch - len(msgs), "no_wait": True})
    # The reply to a no_wait request ends with a 404/408 status once what is waiting has been sent.
    await _collect(sub, msgs, batch, timeout)
    if msgs:
        return msgs
    remaining = timeout - (time.monotonic() - started)
    if remaining <= 0.001:
        raise TimeoutError
    await _request(sub, {"batch": batch, "expires": int(remaining * 1e9) - 100_000})
    while True:
        first = await _next(sub, timeout - (time.monotonic() - started))  # TimeoutError when none came
        status = _status(first)
        if not status:
            break
        _raise_if_error(first)
        if status != api.StatusCode.CONTROL_MESSAGE:  # the request ended (expired, or a 409) with nothing
            raise TimeoutError
    msgs.append(first)
    await _collect(sub, msgs, batch, COMPANY_WINDOW)
    return msgs


async def _consume_each_fetch(self: BatchPullStreamSubscriber) -> None:
    """FastStream's batch pull loop, handing every non-empty fetch to the handler at once."""
    assert self.subscription, "You should call `create_subscription` at first."
    while self.running:
        messages: list[Msg] = []
        with suppress(TimeoutError, ConnectionClosedError, ServiceUnavailableError):
            messages = await self.subscription.fetch(batch=self.pull_sub.batch_size, timeout=self.pull_sub.timeout)
        if messages and self.running:
            await self.consume(messages)


def install() -> None:
    """Applied once, on import of workers.bus.nats_compat."""
    BatchPullStreamSubscriber._consume_pull = _consume_each_fetch  # type: ignore[method-assign]
