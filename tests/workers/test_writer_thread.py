"""The SQLite writer thread: one transaction at a time, routing batches before the bookkeeping waiting there."""

from __future__ import annotations

import asyncio
import threading
import uuid
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from channels.base import Channel
from normalizer.event import ComplaintEvent, Identities
from router.models import Submission
from tests.workers.test_batching import FakeMsg
from workers.app.runtime import Database, Runtime
from workers.app.settings import Settings
from workers.app.writer_thread import WriterThread
from workers.stages.route import route_messages


async def started(gate: threading.Event, writer: WriterThread, order: list[str]) -> asyncio.Task[None]:
    """A job that holds the writer until `gate` is set; returns once it is running."""
    running = threading.Event()

    def hold() -> None:
        running.set()
        gate.wait(10)
        order.append("holder")

    task = asyncio.create_task(writer.run(hold))
    assert await asyncio.to_thread(running.wait, 10)
    return task


async def test_an_urgent_job_goes_before_the_ordinary_ones_waiting() -> None:
    writer, order, gate = WriterThread(), [], threading.Event()
    holder = await started(gate, writer, order)
    waiting = [asyncio.create_task(writer.run(lambda name=name: order.append(name)))  # type: ignore[misc]
               for name in ("relay", "deliver")]
    await asyncio.sleep(0.01)  # queued in this order
    urgent = [asyncio.create_task(writer.run(lambda name=name: order.append(name), urgent=True))  # type: ignore[misc]
              for name in ("route 1", "route 2")]
    await asyncio.sleep(0.01)
    gate.set()
    await asyncio.gather(holder, *waiting, *urgent)
    # The running job is never cut short; urgent ones keep their own order, then the rest in theirs.
    assert order == ["holder", "route 1", "route 2", "relay", "deliver"]
    writer.stop()


async def test_results_and_errors_come_back_to_the_caller() -> None:
    writer = WriterThread()
    assert await writer.run(lambda: threading.current_thread().name) == "sqlite-writer"
    with pytest.raises(ZeroDivisionError):
        await writer.run(lambda: 1 / 0)
    assert await writer.run(lambda: 42, urgent=True) == 42  # the thread survives an error
    writer.stop()


async def test_a_job_cancelled_before_its_turn_never_runs_and_stop_waits_for_the_rest() -> None:
    writer, order, gate = WriterThread(), [], threading.Event()
    holder = await started(gate, writer, order)
    cancelled = asyncio.create_task(writer.run(lambda: order.append("cancelled")))
    kept = asyncio.create_task(writer.run(lambda: order.append("kept")))
    await asyncio.sleep(0.01)
    cancelled.cancel()
    await asyncio.sleep(0.01)
    gate.set()
    await asyncio.gather(holder, kept)
    await asyncio.to_thread(writer.stop)
    assert order == ["holder", "kept"]
    assert cancelled.cancelled()


class NoFailures:
    stage = "route"

    async def failed(self, msg: FakeMsg, exc: BaseException) -> str:
        raise AssertionError(f"the batch should route: {exc!r}")


async def test_the_route_stage_goes_before_the_bookkeeping_in_its_process(tmp_path: Path) -> None:
    """In the process that routes, relay and deliver queue their transactions on the same thread: a
    routing batch that arrives behind them runs first, and commits."""
    settings = Settings(_env_file=None, data_dir=tmp_path)
    database = Database.from_settings(settings)
    await database.migrate()
    order: list[str] = []
    gate = threading.Event()
    running = threading.Event()

    def hold(session: Session) -> None:
        running.set()
        gate.wait(10)
        order.append("holder")

    def bookkeeping(name: str, session: Session) -> None:
        routed = session.scalar(select(Submission.id)) is not None
        order.append(f"{name}, routed: {routed}")

    holder = asyncio.create_task(database.run_transaction(hold))
    assert await asyncio.to_thread(running.wait, 10)
    relay = asyncio.create_task(database.run_transaction(partial(bookkeeping, "relay")))
    deliver = asyncio.create_task(database.run_transaction(partial(bookkeeping, "deliver")))
    await asyncio.sleep(0.01)
    event = ComplaintEvent(event_id=uuid.uuid4(), submission_id=uuid.uuid4(), channel=Channel.WEB, native_id="n1",
                           received_at=datetime.now(UTC), identities=Identities(), text="Жалоба")
    message = FakeMsg(event.model_dump_json().encode())
    routing = asyncio.create_task(route_messages([message], database, Runtime(settings), NoFailures()))  # type: ignore[list-item, arg-type]
    await asyncio.sleep(0.01)
    gate.set()
    results, *_ = await asyncio.gather(routing, holder, relay, deliver)
    assert len(results) == 1 and message.acked
    assert order == ["holder", "relay, routed: True", "deliver, routed: True"]
    await database.close()


async def test_a_submitted_job_takes_its_place_in_line_when_submitted_not_when_awaited() -> None:
    writer, order, gate = WriterThread(), [], threading.Event()
    holder = await started(gate, writer, order)
    first = writer.submit(lambda: order.append("first") or "first", urgent=True)
    second = writer.submit(lambda: order.append("second") or "second", urgent=True)
    skipped = writer.submit(lambda: order.append("skipped"), urgent=True)
    assert writer.waiting() == 3
    skipped.cancel()  # before its turn: never runs
    gate.set()
    assert await second == "second"  # awaited first, still run second
    assert await first == "first"
    await holder
    await asyncio.to_thread(writer.stop)
    assert order == ["holder", "first", "second"]
