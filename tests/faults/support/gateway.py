"""The gateway as separate real processes around a storm: the fakes of the platforms in this process, a
migrated and seeded database, `complaints web` and the workers under a Supervisor."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.measure import wait_for_consumers
from tests.faults.support.processes import Supervisor, gateway_env
from tests.faults.support.storm import TG_TOKEN, VK_GROUP, gateway_settings
from tests.support.directory import seed_directory
from tests.support.fake_telegram import FakeTelegram, fake_telegram
from tests.support.fake_vk import FakeVk
from tests.support.postgres import free_port
from tests.support.smtp import SmtpServer, smtp_server
from workers.app.runtime import Database
from workers.app.settings import Settings
from workers.app.worker_set import CONSUMERS


@dataclass
class Gateway:
    supervisor: Supervisor
    database: Database
    nats_url: str
    web_url: str
    vk: FakeVk
    telegram: FakeTelegram
    smtp: SmtpServer

    async def wait_web(self, within: float = 60.0) -> None:
        deadline = time.monotonic() + within
        async with httpx.AsyncClient(base_url=self.web_url, timeout=5) as client:
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get("/healthz")).status_code == 200:
                        return
                if time.monotonic() > deadline:
                    raise TimeoutError(f"web not healthy in {within}s:\n{self.supervisor.tail('web')}")
                await asyncio.sleep(0.2)

    async def wait_workers(self, within: float = 400.0) -> None:
        # Any node of a cluster answers for the consumers (bench's helper takes a single URL).
        durables = {spec.durable: spec.stream for spec in CONSUMERS.values()}
        await wait_for_consumers(self.nats_url.split(",")[0], durables, within=within)


@contextlib.asynccontextmanager
async def running_gateway(base: Path, nats_url: str, layout: Sequence[tuple[str, tuple[str, ...]]],
                          database_url: str | None = None,
                          extra_env: dict[str, str] | None = None) -> AsyncIterator[Gateway]:
    """`layout`: (process name, workers it runs), e.g. [("route#1", ("route",)), …]; `web` is always started."""
    data_dir = base / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    vk = await FakeVk(VK_GROUP).start()
    try:
        async with fake_telegram(TG_TOKEN) as telegram:
            with smtp_server() as smtp:
                web_port = free_port()
                values = {"COMPLAINTS_DATA_DIR": str(data_dir), "NATS_URL": nats_url,
                          "COMPLAINTS_WEB_HOST": "127.0.0.1", "COMPLAINTS_WEB_PORT": str(web_port),
                          **gateway_settings(vk, telegram, smtp), **(extra_env or {})}
                if database_url:
                    values["DATABASE_URL"] = database_url
                env = gateway_env(**values)
                # As compose.yaml's `migrate` service: the schema first, by the command, before anything starts.
                migrated = await asyncio.to_thread(
                    subprocess.run, [sys.executable, "-m", "workers.cli", "migrate"], env=env, capture_output=True,
                    timeout=120, check=False)
                assert migrated.returncode == 0, migrated.stdout.decode() + migrated.stderr.decode()
                settings = Settings(data_dir=data_dir, NATS_URL=nats_url, DATABASE_URL=database_url)
                database = Database.from_settings(settings)
                async with database.sessions() as session, session.begin():
                    await seed_directory(session)
                supervisor = Supervisor(env, base / "logs")
                gateway = Gateway(supervisor, database, nats_url, f"http://127.0.0.1:{web_port}", vk, telegram, smtp)
                try:
                    supervisor.add("web", "web")
                    await gateway.wait_web()
                    for name, workers in layout:
                        supervisor.worker(name, *workers)
                    await gateway.wait_workers()
                    yield gateway
                finally:
                    supervisor.stop_all()
                    await database.close()
    finally:
        await vk.stop()
