"""Pulled batches on a real nats-server: what is waiting leaves at once, a lone message does not wait for the
collection window, and nothing is lost or taken twice between fetches."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import nats
import pytest
from faststream import AckPolicy
from faststream.nats import NatsBroker, PullSub
from nats.aio.client import Client as NATS
from nats.js.api import AckPolicy as JsAckPolicy
from nats.js.api import ConsumerConfig

from workers.bus import nats_compat  # noqa: F401 - installs the batch fetch and loop
from workers.bus.pull_batches import fetch_batch

WINDOW = 5.0  # a collection window far longer than any wait the test expects


@pytest.fixture
async def nc(nats_url: str) -> AsyncIterator[NATS]:
    connection = await nats.connect(nats_url)
    await connection.jetstream().add_stream(name="P", subjects=["p.>"])
    yield connection
    await connection.close()


async def _subscription(nc: NATS):  # type: ignore[no-untyped-def]
    return await nc.jetstream().pull_subscribe(
        "p.x", durable="p", config=ConsumerConfig(ack_policy=JsAckPolicy.EXPLICIT, ack_wait=30))


async def test_waiting_messages_leave_in_one_fetch_at_once(nc: NATS) -> None:
    js = nc.jetstream()
    for i in range(30):
        await js.publish("p.x", str(i).encode())
    sub = await _subscription(nc)
    started = time.monotonic()
    msgs = await fetch_batch(sub, 100, WINDOW)
    took = time.monotonic() - started
    assert [m.data for m in msgs] == [str(i).encode() for i in range(30)]
    assert took < WINDOW / 2  # not held until the window ends although the batch is not full


async def test_a_lone_message_does_not_wait_for_the_window(nc: NATS) -> None:
    sub = await _subscription(nc)

    async def later() -> None:
        await asyncio.sleep(0.3)
        await nc.jetstream().publish("p.x", b"alone")

    sender = asyncio.create_task(later())
    started = time.monotonic()
    msgs = await fetch_batch(sub, 100, WINDOW)
    took = time.monotonic() - started
    await sender
    assert [m.data for m in msgs] == [b"alone"]
    assert 0.25 < took < WINDOW / 2


async def test_nothing_arriving_is_a_timeout(nc: NATS) -> None:
    sub = await _subscription(nc)
    with pytest.raises(TimeoutError):
        await fetch_batch(sub, 10, 0.3)


async def test_every_message_once_across_many_fetches(nc: NATS) -> None:
    """Messages delivered after a fetch returned (the server-side request still open) are taken by the next."""
    js = nc.jetstream()
    sub = await _subscription(nc)
    seen: list[bytes] = []

    async def publish_slowly() -> None:
        for i in range(200):
            await js.publish("p.x", f"m{i}".encode())
            if i % 7 == 0:
                await asyncio.sleep(0.01)

    sender = asyncio.create_task(publish_slowly())
    deadline = time.monotonic() + 30
    while len(seen) < 200 and time.monotonic() < deadline:
        try:
            msgs = await fetch_batch(sub, 16, 1.0)
        except TimeoutError:
            continue
        for msg in msgs:
            await msg.ack()
        seen.extend(m.data for m in msgs)
    await sender
    assert seen == [f"m{i}".encode() for i in range(200)]


async def test_the_batch_subscriber_hands_over_a_partial_batch(nats_url: str) -> None:
    """FastStream's own loop would fetch again and again until the batch is full or the window is over."""
    broker = NatsBroker(nats_url)
    got: asyncio.Queue[tuple[float, list[bytes]]] = asyncio.Queue()

    @broker.subscriber("q.x", stream="Q", durable="q", pull_sub=PullSub(batch_size=50, timeout=WINDOW, batch=True),
                       ack_policy=AckPolicy.MANUAL)
    async def handle(bodies: list[bytes]) -> None:
        await got.put((time.monotonic(), bodies))

    async with broker:
        await broker.start()
        sent_at = time.monotonic()
        await broker.publish(b"one", "q.x", stream="Q")
        received_at, bodies = await asyncio.wait_for(got.get(), WINDOW * 2)
    assert bodies == [b"one"]
    assert received_at - sent_at < WINDOW / 2


async def test_delivered_messages_are_taken_without_a_wait_each(nc: NATS, monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages already in the subscription's queue are taken as they are; only an empty queue is awaited
    (nats-py's next_msg makes a task, a timer and a uuid4 per call: per message, under load, too dear)."""
    from nats.aio.subscription import Subscription

    js = nc.jetstream()
    for i in range(300):
        await js.publish("p.x", f"m{i}".encode())
    sub = await _subscription(nc)
    waits = 0
    next_msg = Subscription.next_msg

    async def counted(self: Subscription, timeout: float | None = 1.0):  # type: ignore[no-untyped-def]  # noqa: ASYNC109
        nonlocal waits
        waits += 1
        return await next_msg(self, timeout)

    monkeypatch.setattr(Subscription, "next_msg", counted)
    msgs = await fetch_batch(sub, 300, WINDOW)
    assert [m.data for m in msgs] == [f"m{i}".encode() for i in range(300)]
    assert sub._sub._pending_size == 0  # the queue's byte count kept as next_msg keeps it
    assert waits < 60, f"{waits} waits for 300 messages delivered in a few socket reads"
