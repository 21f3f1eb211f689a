"""BatchPublisher and SettleBehind on a real nats-server: PubAcks per message, in order; bounded overlap."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import nats
import pytest
from nats.aio.client import Client as NATS
from nats.js.errors import NoStreamResponseError

from workers.bus.batching import BatchPublisher, Publication, SettleBehind, wait_settled


@pytest.fixture
async def nc(nats_url: str) -> AsyncIterator[NATS]:
    connection = await nats.connect(nats_url)
    await connection.jetstream().add_stream(name="T", subjects=["t.>"])
    yield connection
    await connection.close()


async def test_each_message_gets_its_own_pub_ack_in_order(nc: NATS) -> None:
    results = await BatchPublisher(nc, timeout=5.0).publish([
        Publication("t.a", b"1", {"Nats-Msg-Id": "one"}),
        Publication("nowhere.at.all", b"2", {"Nats-Msg-Id": "two"}),  # no stream takes this subject
        Publication("t.b", b"3", {"Nats-Msg-Id": "three"}),
        Publication("t.a", b"1", {"Nats-Msg-Id": "one"}),  # a repeat: dropped by the stream
    ])
    first, nowhere, third, again = results
    assert not isinstance(first, Exception) and (first.stream, first.seq) == ("T", 1)
    assert isinstance(nowhere, NoStreamResponseError)
    assert not isinstance(third, Exception) and third.seq == 2
    assert not isinstance(again, Exception) and again.duplicate and again.seq == 1


async def test_a_refused_publish_is_that_message_failure_only(nc: NATS) -> None:
    results = await BatchPublisher(nc, timeout=5.0).publish([
        Publication("t.a", b"fine", {"Nats-Msg-Id": "fine"}),
        Publication("t.a", b"x" * (9 * 1024 * 1024), {"Nats-Msg-Id": "huge"}),  # over the server's max_payload
        Publication("t.a", b"wrong stream", {"Nats-Msg-Id": "w", "Nats-Expected-Stream": "OTHER"}),
    ])
    ok, too_big, wrong_stream = results
    assert not isinstance(ok, Exception)
    assert isinstance(too_big, Exception) and isinstance(wrong_stream, Exception)


async def test_a_missing_pub_ack_counts_as_a_failure() -> None:
    class Silent:
        """A connection that sends nothing anywhere: no PubAck ever comes."""

        def new_inbox(self) -> str:
            return "_INBOX.silent"

        async def subscribe(self, subject: str, cb: object) -> None:
            return None

        async def publish(self, *args: object, **kwargs: object) -> None:
            return None

    [result] = await BatchPublisher(Silent(), timeout=0.1).publish([Publication("t.a", b"", {})])  # type: ignore[arg-type]
    assert isinstance(result, TimeoutError)


async def test_settle_behind_bounds_the_batches_in_flight() -> None:
    behind = SettleBehind(depth=2)
    release = asyncio.Event()
    running: list[int] = []

    async def settle(n: int) -> None:
        running.append(n)
        await release.wait()

    await behind.start(settle(1))
    await behind.start(settle(2))
    third = asyncio.create_task(behind.start(settle(3)))
    await asyncio.sleep(0.05)
    assert running == [1, 2] and not third.done()  # waits for a free place
    release.set()
    await third
    await asyncio.sleep(0)
    assert running == [1, 2, 3]


async def test_wait_settled_lets_batches_in_flight_finish() -> None:
    behind = SettleBehind(depth=2)
    done: list[int] = []

    async def settle() -> None:
        await asyncio.sleep(0.05)
        done.append(1)

    await behind.start(settle())
    await wait_settled(within=5.0)
    assert done == [1]
