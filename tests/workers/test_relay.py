"""The relay on a real nats-server and SQLite: it keeps publishing while the writer thread is busy (its marks wait
in line), publishes each row once meanwhile, and records when each row was published, not when it was marked."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime

import nats
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from router.models import Outbox
from router.timeutil import aware
from tests.support.waiting import eventually
from workers.app.runtime import Database, Runtime, declare_all_streams, make_broker
from workers.app.settings import Settings
from workers.stages import relay

ROWS = 2 * relay.BATCH + 10  # three rounds


async def unsent(database: Database) -> int:
    async with database.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Outbox).where(Outbox.sent_at.is_(None))) or 0)


async def test_the_relay_publishes_while_the_writer_is_busy_and_marks_once_it_is_free(
    settings: Settings, database: Database, nats_url: str
) -> None:
    broker = make_broker(nats_url)
    await broker.connect()
    await declare_all_streams(broker, Runtime(settings).streams)
    await broker.stop()
    async with database.sessions() as session, session.begin():
        await session.execute(insert(Outbox), [
            {"created_at": datetime.now(UTC), "subject": "tickets.events.created", "payload": {"n": i}, "attempts": 0}
            for i in range(ROWS)])

    nc = await nats.connect(nats_url)
    seen: list[bytes] = []  # a core subscription sees every publish, a repeat too (JetStream only drops its copy)

    async def count(msg: nats.aio.msg.Msg) -> None:
        seen.append(msg.data)

    await nc.subscribe("tickets.events.created", cb=count)
    gate, running = threading.Event(), threading.Event()

    def hold(session: Session) -> None:  # e.g. a storm's routing batches, which go first
        running.set()
        gate.wait(30)

    holder = asyncio.create_task(database.run_transaction(hold))
    assert await asyncio.to_thread(running.wait, 10)
    wake, stop = asyncio.Event(), asyncio.Event()
    relaying = asyncio.create_task(relay.relay_forever(nc.jetstream(), database, wake, stop, idle_poll=0.2))
    try:
        await eventually(lambda: _at_least(seen, ROWS), within=20)
        await asyncio.sleep(0.5)  # several more rounds while the marks still wait
        assert len(seen) == ROWS  # nothing published twice while its mark waits
        assert await unsent(database) == ROWS  # not marked yet: the writer is still busy
        # Taken before the writer is let go: every mark runs after it. (Not when the subscriber sees the last row:
        # the relay's PubAck for it can come in a moment after the core subscription's copy.)
        published = datetime.now(UTC)
    finally:
        gate.set()
        await holder
    await eventually(lambda: _none_unsent(database))
    async with database.sessions() as session:
        sent_at = (await session.scalars(select(Outbox.sent_at))).all()
    assert all(aware(at) <= published for at in sent_at if at is not None)  # the publish time, not the mark's
    stream = await nc.jetstream().stream_info("TICKETS")
    assert stream.state.messages == ROWS
    stop.set()
    wake.set()
    await asyncio.wait_for(relaying, 5)
    await nc.close()


async def _at_least(seen: list[bytes], n: int) -> bool:
    return len(seen) >= n


async def _none_unsent(database: Database) -> bool:
    return await unsent(database) == 0


async def test_a_row_that_failed_is_published_again_once_the_marks_are_in(
    settings: Settings, database: Database, nats_url: str
) -> None:
    """The rounds read above the rows whose marks wait; a row whose publish failed lies below them and is read
    again once every mark is in: it is retried until it is stored, never skipped."""
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await js.add_stream(name="TICKETS", subjects=["tickets.events.*"])  # "later.x" has no stream yet: it fails
    subjects = ["tickets.events.created", "later.x", "tickets.events.created"] * 5
    async with database.sessions() as session, session.begin():
        await session.execute(insert(Outbox), [
            {"created_at": datetime.now(UTC), "subject": subject, "payload": {"n": i}, "attempts": 0}
            for i, subject in enumerate(subjects)])
    wake, stop = asyncio.Event(), asyncio.Event()
    relaying = asyncio.create_task(relay.relay_forever(js, database, wake, stop, idle_poll=0.1))
    try:
        await eventually(lambda: _attempted(database, "later.x", 2))
        assert await unsent(database) == 5  # the others are stored and marked
        await js.add_stream(name="LATER", subjects=["later.>"])
        await eventually(lambda: _none_unsent(database))
        assert (await js.stream_info("LATER")).state.messages == 5
        assert (await js.stream_info("TICKETS")).state.messages == 10
    finally:
        stop.set()
        wake.set()
        await asyncio.wait_for(relaying, 5)
        await nc.close()


async def _attempted(database: Database, subject: str, times: int) -> bool:
    async with database.sessions() as session:
        attempts = (await session.scalars(select(Outbox.attempts).where(Outbox.subject == subject))).all()
    return bool(attempts) and min(attempts) >= times
