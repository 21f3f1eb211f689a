"""PostgreSQL stopped for 60 s while complaints keep arriving, with the gateway in real processes.

The edge keeps taking them (the REST feedback API and the VK Callback API answer 2xx: they only need
JetStream), the workers wait the outage out at their longest backoff step (no hot loop: CPU time and retry
count measured), and after the restart every accepted submission is exactly one ticket, nothing in SHUNT.

The retry policy is deliberately short here (max_deliver 5, backoff 0.5-4 s: a message would give up after
~8 s of ordinary failures), so the test shows that an outage never counts toward giving up.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from router.models import Submission, Ticket
from tests.channels.vk.conftest import CONFIRMATION, GROUP_ID, SECRET, event
from tests.faults.outage_support import (
    GatewayProcess,
    gateway_env,
    restart_postgres,
    shunt_reader,
    start_gateway,
    stop_postgres_keeping_data,
    wait_http,
)
from tests.support.directory import seed_directory
from tests.support.fake_vk import FakeVk
from tests.support.postgres import PostgresServer, free_port, start_postgres
from tests.support.waiting import eventually
from workers.app.runtime import Database
from workers.app.settings import Settings

pytestmark = [pytest.mark.faults, pytest.mark.postgres]

OUTAGE = 60.0
TOKEN = "fault-token-lk"
BACKOFF = [0.5, 1.0, 2.0, 4.0]
MAX_DELIVER = 5


@pytest.fixture
async def own_postgres() -> AsyncIterator[PostgresServer]:
    """A PostgreSQL of this test's own: it is stopped and started, which the session's shared one must not be."""
    server = await asyncio.to_thread(start_postgres)
    yield server
    await asyncio.to_thread(server.stop)


@pytest.fixture
async def fake_vk() -> AsyncIterator[FakeVk]:
    fake = await FakeVk(GROUP_ID).start()
    yield fake
    await fake.stop()


def vk_event(n: int) -> dict[str, Any]:
    """The recorded message_new as the n-th event of its own VK user (one dialog, one ticket each)."""
    body = event("message_new")
    body["event_id"] = f"{n:040x}"
    user = 700_000 + n
    body["object"]["message"] = {**body["object"]["message"], "from_id": user, "peer_id": user,
                                 "id": 5000 + n, "conversation_message_id": 100 + n,
                                 "text": f"Жалоба по VK номер {n}: нет интернета"}
    return body


class Intake:
    """Submits web feedback and VK callbacks to the running web process, remembering what was accepted."""

    def __init__(self, base: str) -> None:
        self.client = httpx.AsyncClient(base_url=base, timeout=20.0)
        self.web_keys: list[str] = []
        self.vk_events: list[str] = []
        self.statuses: list[tuple[str, int, float]] = []  # (kind, status, seconds the answer took)
        self.n = 0
        self.errors: list[str] = []

    async def feedback(self) -> None:
        self.n += 1
        key = f"outage-{self.n}-{uuid.uuid4().hex[:8]}"
        body = {"text": f"Жалоба через личный кабинет номер {self.n}", "email": f"c{self.n}@example.org"}
        started = time.monotonic()
        try:
            answer = await self.client.post("/api/v1/feedback", json=body,
                                            headers={"Authorization": f"Bearer {TOKEN}", "Idempotency-Key": key})
        except httpx.TransportError as exc:  # the web process dropped the request: counted as refused
            self.statuses.append(("web", 0, time.monotonic() - started))
            self.errors.append(f"feedback: {type(exc).__name__}")
            return
        self.statuses.append(("web", answer.status_code, time.monotonic() - started))
        if answer.status_code == 202:
            self.web_keys.append(key)

    async def vk(self) -> None:
        self.n += 1
        body = vk_event(self.n)
        started = time.monotonic()
        try:
            answer = await self.client.post("/channels/vk/callback", content=json.dumps(body, ensure_ascii=False),
                                            headers={"Content-Type": "application/json"})
        except httpx.TransportError as exc:
            self.statuses.append(("vk", 0, time.monotonic() - started))
            self.errors.append(f"vk: {type(exc).__name__}")
            return
        self.statuses.append(("vk", answer.status_code, time.monotonic() - started))
        if answer.status_code == 200 and answer.text == "ok":
            self.vk_events.append(body["event_id"])

    async def round(self) -> None:
        await self.feedback()
        await self.vk()


async def counts(database: Database) -> tuple[int, int]:
    async with database.sessions() as session:
        submissions = await session.scalar(select(func.count()).select_from(Submission))
        tickets = await session.scalar(select(func.count()).select_from(Ticket))
    return int(submissions or 0), int(tickets or 0)


def retries_in(log: str) -> int:
    return len(re.findall(r": retry .* after ", log))


async def test_sixty_seconds_without_the_database(own_postgres: PostgresServer, data_dir: Path, nats_url: str,
                                                  fake_vk: FakeVk, tmp_path: Path) -> None:
    url = own_postgres.create_database("outage")
    settings = Settings(data_dir=data_dir, NATS_URL=nats_url, DATABASE_URL=url)
    database = Database.from_settings(settings)
    await database.migrate()
    async with database.sessions() as session, session.begin():
        await seed_directory(session)

    port = free_port()
    vk = {"group_id": GROUP_ID, "token": fake_vk.token, "api_base": fake_vk.api_base, "secret": SECRET,
          "confirmation": CONFIRMATION}
    env = gateway_env(data_dir, nats_url, url, max_deliver=MAX_DELIVER, retry_backoff=BACKOFF, ack_wait=10,
                      web_port=port, vk=vk, api_tokens={"lk": {"token": TOKEN, "scopes": ["feedback"]}})
    workers = start_gateway(["worker", "normalize", "route", "relay", "deliver"], env, tmp_path / "workers.log")
    web: GatewayProcess | None = None
    intake = Intake(f"http://127.0.0.1:{port}")
    try:
        await asyncio.sleep(2.0)  # the workers declare the streams and consumers
        web = start_gateway(["web"], env, tmp_path / "web.log")
        await wait_http(f"http://127.0.0.1:{port}/healthz")

        # Before: the pipeline works end to end.
        for _ in range(3):
            await intake.round()
        await eventually(lambda: _reached(database, 6), within=60)

        # The outage: submissions keep arriving, two every ~2 s, for 60 s.
        await asyncio.to_thread(stop_postgres_keeping_data, own_postgres)
        down_at = time.monotonic()
        cpu_before = workers.cpu_seconds()
        retries_before = retries_in(workers.log())
        accepted_before = len(intake.web_keys) + len(intake.vk_events)
        while time.monotonic() - down_at < OUTAGE:
            await intake.round()
            await asyncio.sleep(1.5)
        cpu_outage = workers.cpu_seconds() - cpu_before
        outage_seconds = time.monotonic() - down_at
        retries_outage = retries_in(workers.log()) - retries_before
        in_outage = len(intake.web_keys) + len(intake.vk_events) - accepted_before
        await asyncio.to_thread(restart_postgres, own_postgres)
        up_at = time.monotonic()

        # After: a few more, then everything is processed.
        for _ in range(3):
            await intake.round()
        accepted = len(intake.web_keys) + len(intake.vk_events)
        await eventually(lambda: _reached(database, accepted), within=90, every=0.5)
        caught_up = time.monotonic() - up_at
        await asyncio.sleep(2.0)  # anything still in flight would show up as an extra row now

        refused = [s for s in intake.statuses if s[1] not in (200, 202)]
        slow = max(s[2] for s in intake.statuses)
        print(f"\nDB outage {outage_seconds:.0f}s: {in_outage} submissions accepted during it "
              f"({accepted} in all), refused {len(refused)}, slowest answer {slow:.2f}s; "
              f"workers used {cpu_outage:.1f}s CPU during the outage ({100 * cpu_outage / outage_seconds:.1f}%),"
              f" {retries_outage} retries; caught up {caught_up:.1f}s after the restart")

        # The edge kept taking complaints: every request answered 2xx, promptly.
        assert not refused, (refused, intake.errors[:5])
        assert in_outage >= 2 * int(OUTAGE / 2.5)
        assert slow < 5.0

        # Exactly one ticket per accepted submission, nothing else.
        async with database.sessions() as session:
            rows = (await session.execute(select(Submission.channel, Submission.native_id, Submission.ticket_id))).all()
        assert sorted(r.native_id for r in rows if r.channel == "web") == sorted(f"lk:{k}" for k in intake.web_keys)
        assert sorted(r.native_id for r in rows if r.channel == "vk") == sorted(
            f"{GROUP_ID}:{e}" for e in intake.vk_events)
        assert all(r.ticket_id is not None for r in rows)
        assert len({r.ticket_id for r in rows}) == accepted == (await counts(database))[1]

        # Every VK user heard back exactly once (the replies were sent after the outage, not lost, not doubled).
        async def replied() -> bool:
            return all(len(fake_vk.sent_to(700_000 + n)) >= 1 for n in _vk_users(intake))

        await eventually(replied, within=60, every=0.5)
        await asyncio.sleep(1.0)
        assert all(len(fake_vk.sent_to(700_000 + n)) == 1 for n in _vk_users(intake))

        # Nothing ran out of deliveries because of the outage.
        async with shunt_reader(nats_url) as shunted:
            assert await shunted() == []
        assert "gave up after" not in workers.log()

        # The workers waited instead of spinning: retries at the longest backoff step, little CPU.
        # A message failing throughout the outage is retried at most len(BACKOFF) + OUTAGE / BACKOFF[-1] times;
        # route and deliver both meet the database (two stages), plus the batch rounds.
        assert retries_outage > 0, "the workers never met the outage"
        bound = 2 * (in_outage + 6) * (len(BACKOFF) + OUTAGE / BACKOFF[-1] + 2)
        assert retries_outage < bound, (retries_outage, bound)
        assert cpu_outage < 0.25 * outage_seconds, f"{cpu_outage:.1f}s CPU in {outage_seconds:.0f}s: a hot loop"
        assert workers.alive() and web.alive()
    finally:
        await intake.client.aclose()
        if web is not None:
            web.stop()
        workers.stop()
        await database.close()


def _vk_users(intake: Intake) -> list[int]:
    return [int(event_id, 16) for event_id in intake.vk_events]


async def _reached(database: Database, submissions: int) -> bool:
    try:
        done, _ = await counts(database)
    except Exception:  # the database may still be starting
        return False
    return done >= submissions


def test_what_counts_as_the_database_being_away() -> None:
    """The Settler's and the feedback API's test: an outage (retried while it lasts), not a bad message."""
    import importlib

    from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

    from workers.app.runtime import database_unavailable

    asyncpg_errors = importlib.import_module("asyncpg.exceptions")  # the driver has no type information
    starting = OperationalError("SELECT 1", {}, asyncpg_errors.CannotConnectNowError("the database is starting up"))
    lost = DBAPIError("SELECT 1", {}, Exception("closed"), connection_invalidated=True)
    assert database_unavailable(ConnectionRefusedError(111, "Connect call failed"))
    assert database_unavailable(starting) and database_unavailable(lost)
    wrapped = RuntimeError("batch not committed")
    wrapped.__cause__ = ConnectionResetError(104, "reset by peer")
    assert database_unavailable(wrapped)
    assert not database_unavailable(IntegrityError("INSERT", {}, Exception("duplicate key")))
    assert not database_unavailable(OperationalError("SELECT", {}, Exception("no such table: tickets")))
    assert not database_unavailable(FileNotFoundError(2, "No such file"))
    assert not database_unavailable(ValueError("bad input"))
