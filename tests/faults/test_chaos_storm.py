"""Chaos storm: 10,000 mixed submissions through the real edges while a chaos driver SIGKILLs a random worker
process 20 times and restarts it. Every submission ends as exactly one ticket or in SHUNT with a reason; no
client hears back twice (counted at the fake VK and Telegram and at the SMTP sink).

PostgreSQL and one process per worker (the layout `complaints up` uses on PostgreSQL), a single nats-server
with its store kept, `complaints web` serving the edges.

    uv run --frozen pytest -p no:cacheprovider -m faults tests/faults/test_chaos_storm.py -s
"""

from __future__ import annotations

import asyncio
import os
import random
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from router.models import Delivery
from tests.faults.support.gateway import Gateway, running_gateway
from tests.faults.support.nats import NatsNode
from tests.faults.support.storm import StormDriver, StormReport, drain
from tests.support.postgres import PostgresServer
from tests.support.waiting import eventually
from workers.app.runtime import Database
from workers.app.worker_set import WORKER_NAMES
from workers.stages import deliver

pytestmark = [pytest.mark.faults, pytest.mark.timeout(1800)]

# Smaller runs while working on the suite: FAULTS_CHAOS_SUBMISSIONS=500 FAULTS_CHAOS_KILLS=4.
SUBMISSIONS = int(os.environ.get("FAULTS_CHAOS_SUBMISSIONS", "10000"))
KILLS = int(os.environ.get("FAULTS_CHAOS_KILLS", "20"))


@pytest.fixture
def nats_node(tmp_path: Path) -> Iterator[NatsNode]:
    node = NatsNode("storm", tmp_path / "nats")
    node.start()
    node.wait_healthy()
    yield node
    node.stop()


async def chaos(gateway: Gateway, storm: asyncio.Task[StormReport], report: StormReport, kills: int,
                seed: int) -> list[str]:
    """SIGKILL a random worker process `kills` times spread evenly over the storm (each time another share of
    the submissions has been accepted), restarting it 0.5-3 s later; any kills left when the storm is over
    follow 1-2 s apart, while the pipeline drains."""
    rng = random.Random(seed)
    supervisor = gateway.supervisor
    workers = [name for name in supervisor.procs if name != "web"]
    killed: list[str] = []
    for k in range(1, kills + 1):
        threshold = SUBMISSIONS * k // (kills + 1)

        async def progressed(threshold: int = threshold) -> bool:
            return len(report.accepted) >= threshold or storm.done()

        await eventually(progressed, within=1800, every=0.1)
        if storm.done():
            await asyncio.sleep(rng.uniform(1.0, 2.0))
        name = supervisor.kill_random(rng, workers)
        killed.append(name)
        await asyncio.sleep(rng.uniform(0.5, 3.0))
        supervisor.restart(name)
    return killed


async def uncertain_deliveries(database: Database) -> int:
    async with database.read_sessions() as session:
        return await session.scalar(select(func.count()).select_from(Delivery).where(
            Delivery.status == "uncertain")) or 0


async def test_storm_with_worker_kills(tmp_path: Path, postgres_server: PostgresServer, nats_node: NatsNode) -> None:
    database_url = postgres_server.create_database(f"chaos_{uuid.uuid4().hex[:8]}")
    layout = [(name, (name,)) for name in WORKER_NAMES]
    async with running_gateway(tmp_path, nats_node.url, layout, database_url) as gateway:
        began = time.monotonic()
        report = StormReport()
        storm = asyncio.create_task(StormDriver(gateway.web_url).run(SUBMISSIONS, seed=1, report=report))
        killed = await chaos(gateway, storm, report, KILLS, seed=2)
        await storm
        storm_done = time.monotonic()
        outcome, drain_seconds = await drain(gateway.database, gateway.nats_url, report, gateway.vk,
                                             gateway.telegram, gateway.smtp)
        crashed = gateway.supervisor.dead()

    print(f"\nchaos storm: {SUBMISSIONS} submissions in {report.seconds:.1f} s "
          f"({len(report.accepted) / report.seconds:.0f}/s at the edges), {len(killed)} SIGKILLs: "
          f"{', '.join(killed)}")
    print(f"  edges: {len(report.accepted)} accepted, {report.retried} needed a retry, "
          f"refusals {dict(report.refused)}, gave up {len(report.gave_up)}")
    print(f"  {outcome.figures()}")
    print(f"  deliver killed {killed.count('deliver')} times; replies sent twice: "
          f"{sum(outcome.duplicate_replies.values())}; recorded uncertain (interrupted while sending): "
          f"{await uncertain_deliveries(gateway.database)}")
    print(f"  drain after the storm: {drain_seconds:.1f} s; total {time.monotonic() - began:.1f} s "
          f"(storm ended {storm_done - began:.1f} s in)")
    for sid, reason in list(outcome.shunted.items())[:5]:
        print(f"  shunted {sid}: {reason[:200]}")

    assert not crashed, f"processes not running at the end: {crashed}"
    assert len(killed) == KILLS
    assert not report.gave_up, f"{len(report.gave_up)} submissions never accepted by the edges"
    assert len(report.accepted) == SUBMISSIONS
    assert not outcome.lost, f"{len(outcome.lost)} accepted submissions lost, e.g. {outcome.lost[:5]}"
    assert outcome.tickets + len(outcome.shunted) == SUBMISSIONS
    # Exactly the unprocessable ones are in SHUNT, each with its reason; everything else is a ticket.
    assert report.poison > 0 and len(outcome.shunted) == report.poison
    assert all(reason.strip() for reason in outcome.shunted.values())
    assert outcome.duplicate_tickets == 0
    assert outcome.merged == 0
    # No client gets a reply twice: VK and e-mail by their keys (random_id, Message-ID), Telegram by sending each
    # chunk of replies marked "sending" first (workers/stages/deliver.py): a deliver process killed between the mark
    # and its record leaves that chunk "uncertain" (history entry, for staff to check), never sent a second time.
    duplicates = outcome.duplicate_replies
    assert sum(duplicates.values()) == 0, f"duplicate replies: {dict(duplicates)}"
    uncertain = await uncertain_deliveries(gateway.database)
    assert uncertain <= killed.count("deliver") * deliver.MARKED_CHUNK
    assert outcome.missing_replies["vk"] == 0 and outcome.missing_replies["email"] == 0
    # A Telegram reply missing at the fake was interrupted on its way and is on record as uncertain, not lost.
    assert outcome.missing_replies["telegram"] <= uncertain, f"missing replies: {dict(outcome.missing_replies)}"
    assert outcome.pending_outbox == 0 and outcome.undelivered == 0
