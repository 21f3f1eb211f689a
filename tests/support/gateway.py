"""The gateway in-process for channel tests: its web app as the platform reaches it, and every worker running
with the test directory loaded."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
from faststream.nats import NatsBroker

from tests.support.directory import seed_directory
from workers.app.runtime import Database
from workers.app.settings import Settings
from workers.app.worker_set import WorkerSet


@contextlib.asynccontextmanager
async def seeded_gateway(settings: Settings, database: Database, nats_url: str) -> AsyncIterator[WorkerSet]:
    """Every worker (normalize, route, relay, deliver...) on the real server and database, directory seeded."""
    async with database.sessions() as session, session.begin():
        await seed_directory(session)
    async with WorkerSet(settings, database=database, nats_url=nats_url) as workers:
        yield workers


def web_client(settings: Settings, database: Database | None, broker: NatsBroker | None,
               source: tuple[str, int] = ("127.0.0.1", 123)) -> httpx.AsyncClient:
    """The web app (no workers) as a client at `source` reaches it: what the platforms' POSTs arrive at."""
    from workers.web import create_app

    app = create_app(settings, database, broker)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=source), base_url="http://testserver")
