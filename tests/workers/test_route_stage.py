"""The route stage on a real nats-server and SQLite: while one batch commits, the next is already pulled and
queued behind it; the batches commit in the order the stream holds them, and each message is acked after its
own commit."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import nats
from nats.js import JetStreamContext
from sqlalchemy import select
from sqlalchemy.orm import Session

from channels.base import Channel
from normalizer.event import ComplaintEvent, Identities
from router.models import Submission
from tests.support.waiting import eventually
from workers.app.runtime import Database
from workers.app.settings import Settings
from workers.app.worker_set import WorkerSet
from workers.bus.shunt import jetstream_of
from workers.bus.streams import COMPLAINTS_SUBJECT

BATCH = 5


def event(i: int, at: datetime) -> ComplaintEvent:
    return ComplaintEvent(event_id=uuid.uuid4(), submission_id=uuid.uuid4(), channel=Channel.WEB,
                          native_id=f"order-{i:02d}", received_at=at + timedelta(microseconds=i),
                          identities=Identities(), text=f"Жалоба {i}: нет интернета")


@contextlib.asynccontextmanager
async def writer_busy(database: Database) -> AsyncIterator[None]:
    """The writer thread held by a long transaction (another worker's) until the block ends."""
    gate, running = threading.Event(), threading.Event()

    def hold(session: Session) -> None:
        running.set()
        gate.wait(20)

    holder = asyncio.create_task(database.run_transaction(hold))
    try:
        assert await asyncio.to_thread(running.wait, 10)
        yield
    finally:
        gate.set()
        await holder


async def publish_complaints(js: JetStreamContext, count: int) -> None:
    now = datetime.now(UTC)
    for i in range(count):
        await js.publish(COMPLAINTS_SUBJECT, event(i, now).model_dump_json().encode(),
                         headers={"Nats-Msg-Id": f"order-{i}"})


async def test_the_next_batch_is_queued_while_one_commits_and_batches_commit_in_stream_order(
    settings: Settings, database: Database, nats_url: str
) -> None:
    settings = settings.model_copy(update={"route_batch": BATCH})
    async with WorkerSet(settings, database=database, nats_url=nats_url, names=("route",)) as workers:
        js = jetstream_of(workers.broker)
        async with writer_busy(database):
            await publish_complaints(js, 3 * BATCH)
            # The first batch waits for the writer; the second is pulled and queued behind it all the same.
            await eventually(lambda: _at_least(database, 2), within=10)
            info = await js.consumer_info("COMPLAINTS", "route")
            # Two batches pulled (however the messages split between them), none acked before its commit.
            assert info.num_ack_pending == info.delivered.stream_seq > 1
            assert info.ack_floor.stream_seq == 0
        await eventually(lambda: _all_acked(workers, 3 * BATCH))

    async with database.sessions() as session:
        routed = (await session.scalars(select(Submission.native_id).order_by(Submission.ticket_id))).all()
    assert routed == [f"order-{i:02d}" for i in range(3 * BATCH)]


async def _at_least(database: Database, jobs: int) -> bool:
    return database._writer.waiting() >= jobs


async def _all_acked(workers: WorkerSet, expected: int) -> bool:
    info = await jetstream_of(workers.broker).consumer_info("COMPLAINTS", "route")
    return info.delivered.stream_seq >= expected and info.num_ack_pending == 0 and info.num_pending == 0


async def test_a_stop_while_batches_commit_acks_every_message_it_pulled(
    settings: Settings, database: Database, nats_url: str
) -> None:
    """The subscribers stop pulling before the stop waits for the batches still settling: every message the route
    stage pulled is routed and acked before the connection closes, none left to a redelivery after ack_wait."""
    settings = settings.model_copy(update={"route_batch": BATCH})
    workers = WorkerSet(settings, database=database, nats_url=nats_url, names=("route",))
    await workers.start()
    async with writer_busy(database):
        await publish_complaints(jetstream_of(workers.broker), 6 * BATCH)
        await eventually(lambda: _at_least(database, 2), within=10)
        stopping = asyncio.create_task(workers.stop())
        await asyncio.sleep(0.2)  # the stop has begun while both batches wait for the writer
    await asyncio.wait_for(stopping, 30)

    async with database.sessions() as session:
        routed = len((await session.scalars(select(Submission.native_id))).all())
    nc = await nats.connect(nats_url)
    info = await nc.jetstream().consumer_info("COMPLAINTS", "route")
    await nc.close()
    assert routed == info.delivered.stream_seq > 0  # what was pulled was routed...
    assert info.num_ack_pending == 0  # ...and acked
