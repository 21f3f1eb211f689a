"""A worker process SIGKILLed mid-batch and restarted: every submission becomes exactly one ticket."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime

from sqlalchemy import func, select

from channels.web import parse_feedback
from router.models import Delivery, Outbox, Submission, Ticket
from tests.support.waiting import eventually
from workers.app.orphans import die_with_parent
from workers.app.runtime import Database, make_broker
from workers.app.settings import Settings
from workers.bus.publish import publish_submission

N = 1500


def start_workers(settings: Settings) -> subprocess.Popen[bytes]:
    env = dict(os.environ, NATS_URL=settings.nats_url or "", COMPLAINTS_DATA_DIR=str(settings.data_dir),
               COMPLAINTS_ACK_WAIT="5", COMPLAINTS_ROUTE_BATCH="50")
    return subprocess.Popen(
        [sys.executable, "-m", "workers.cli", "worker", "normalize", "route", "relay", "deliver"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=die_with_parent,
    )


async def rows(database: Database, model: type) -> int:
    async with database.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_sigkill_mid_batch_loses_nothing_and_duplicates_nothing(settings: Settings, database: Database) -> None:
    worker = start_workers(settings)
    broker = make_broker(settings.nats_url or "")
    await broker.connect()
    try:
        # Let the worker declare the streams, then publish with up to 256 in flight.
        from workers.app.runtime import Runtime, declare_all_streams

        await declare_all_streams(broker, Runtime(settings).streams)
        now = datetime.now(UTC)
        submissions = [
            parse_feedback({"text": f"Жалоба номер {i}", "email": f"c{i}@example.ru"},
                      idempotency_key=f"crash-{i}", api_client="lk", received_at=now)
            for i in range(N)
        ]
        semaphore = asyncio.Semaphore(256)

        async def publish(raw: object) -> None:
            async with semaphore:
                await publish_submission(broker, raw)  # type: ignore[arg-type]

        await asyncio.gather(*(publish(s) for s in submissions))

        # Kill it while it is in the middle of the work.
        await eventually(lambda: rows(database, Ticket), within=60)
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        killed_at = await rows(database, Ticket)
        assert killed_at < N, "the worker finished before it could be killed; raise N"

        worker = start_workers(settings)

        async def all_delivered() -> bool:
            return await rows(database, Delivery) >= N

        await eventually(all_delivered, within=120)
        await asyncio.sleep(1.0)  # anything still in flight would show up as an extra row now
        assert await rows(database, Submission) == N
        assert await rows(database, Ticket) == N
        assert await rows(database, Delivery) == N
        async with database.sessions() as session:
            unsent = await session.scalar(select(func.count()).select_from(Outbox).where(Outbox.sent_at.is_(None)))
            numbers = await session.scalar(select(func.count(func.distinct(Ticket.number))))
        assert unsent == 0 and numbers == N
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
        await broker.stop()
