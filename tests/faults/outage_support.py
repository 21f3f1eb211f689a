"""Shared pieces of the outage tests (database, mail, platforms, disk): gateway processes started the way an
operator starts them, a PostgreSQL that is stopped and started again on its own data, a loopback proxy that
makes a fake platform answer 5xx or hang, and small probes (CPU time of a process, SHUNT contents)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from aiohttp import ClientSession, ClientTimeout, web

from tests.support.postgres import PostgresServer, _bin, free_port
from workers.app.orphans import die_with_parent
from workers.app.runtime import make_broker
from workers.bus.shunt import ShuntedMessage, jetstream_of, list_shunted

REPO = Path(__file__).resolve().parents[2]


# --- gateway processes


@dataclass
class GatewayProcess:
    """`complaints <args>` in a process of its own, its log in a file (read by the tests)."""

    popen: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def cpu_seconds(self) -> float:
        """User + system CPU time the process has used so far (its own threads, not its children)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))
        return ticks / os.sysconf("SC_CLK_TCK")

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, grace: float = 15.0) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(grace)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


def start_gateway(args: list[str], env: dict[str, str], log_path: Path) -> GatewayProcess:
    log = log_path.open("ab")
    try:
        popen = subprocess.Popen(
            [sys.executable, "-m", "workers.cli", *args], cwd=REPO, env={**os.environ, **env},
            stdout=log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent,
        )
    finally:
        log.close()
    return GatewayProcess(popen, log_path)


def gateway_env(data_dir: Path, nats_url: str, database_url: str | None = None, **settings: Any) -> dict[str, str]:
    """COMPLAINTS_* variables: every keyword is a setting (JSON-encoded unless a string)."""
    env = {"COMPLAINTS_DATA_DIR": str(data_dir), "NATS_URL": nats_url,
           "COMPLAINTS_SESSION_SECRET": "fault-suite-session-secret-0123456789abcdef"}
    if database_url:
        env["DATABASE_URL"] = database_url
    for name, value in settings.items():
        env[f"COMPLAINTS_{name.upper()}"] = value if isinstance(value, str) else json.dumps(value)
    return env


async def wait_http(url: str, within: float = 120.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    async with httpx.AsyncClient() as client:
        while True:
            try:
                await client.get(url, timeout=2.0)
                return
            except httpx.TransportError:
                if loop.time() > deadline:
                    raise AssertionError(f"{url} did not answer in {within}s") from None
                await asyncio.sleep(0.2)


@contextlib.asynccontextmanager
async def shunt_reader(nats_url: str) -> AsyncIterator[Callable[[], Any]]:
    """A function listing what is in SHUNT right now (a coroutine)."""
    broker = make_broker(nats_url)
    await broker.connect()

    async def shunted() -> list[ShuntedMessage]:
        return await list_shunted(jetstream_of(broker), limit=10_000)

    try:
        yield shunted
    finally:
        await broker.stop()


# --- a PostgreSQL that goes away and comes back


def _pg_ctl(server: PostgresServer, *args: str) -> subprocess.CompletedProcess[bytes]:
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run([*as_user, _bin("pg_ctl"), "-D", str(server.base / "data"), *args],
                          check=False, capture_output=True)


def stop_postgres_keeping_data(server: PostgresServer) -> None:
    """The server goes down (fast shutdown: sessions cut, nothing lost) and its data stays for the restart."""
    done = _pg_ctl(server, "-m", "fast", "-w", "stop")
    assert done.returncode == 0, done.stderr.decode()


def restart_postgres(server: PostgresServer) -> None:
    done = _pg_ctl(server, "-l", str(server.base / "pg.log"), "-w", "start",
                   "-o", f"-h 127.0.0.1 -p {server.port} -k {server.base} -c fsync=off -c max_connections=200")
    assert done.returncode == 0, done.stderr.decode()


# --- a fault-injecting proxy in front of a fake platform


@dataclass
class Fault:
    """What the next matching requests get instead of the fake's answer."""

    match: str  # a substring of the path (e.g. "messages.send", "sendMessage", "/messages")
    times: int
    status: int = 502  # answered with this status...
    body: bytes = b"<html>502 Bad Gateway</html>"
    headers: dict[str, str] = field(default_factory=dict)
    hold: float = 0.0  # ...or, if set, the request is held this long and then passed on


@dataclass
class FaultProxy:
    """Loopback HTTP proxy: passes everything to `upstream` except what a queued Fault catches. Counts what
    reached the fake (`passed`) and what it caught (`caught`), by path."""

    upstream: str
    faults: list[Fault] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)
    caught: list[str] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    _session: ClientSession | None = None
    port: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def inject(self, fault: Fault) -> None:
        self.faults.append(fault)

    def caught_on(self, match: str) -> int:
        return sum(match in path for path in self.caught)

    async def start(self) -> FaultProxy:
        self._session = ClientSession(timeout=ClientTimeout(total=120))
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        self.port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    def _take(self, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.match in path and fault.times > 0:
                fault.times -= 1
                return fault
        return None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path_qs
        body = await request.read()  # all of it first: a held request went out whole, the client waits only
        fault = self._take(request.path)
        if fault is not None:
            self.caught.append(request.path)
            if not fault.hold:
                return web.Response(status=fault.status, body=fault.body, headers=fault.headers)
            await asyncio.sleep(fault.hold)  # the client has given up by now: the platform still takes it
        assert self._session is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        async with self._session.request(request.method, self.upstream.rstrip("/") + path, data=body,
                                         headers=headers) as upstream:
            payload = await upstream.read()
            self.passed.append(request.path)
            kept = {k: v for k, v in upstream.headers.items()
                    if k.lower() in ("content-type", "retry-after")}
            return web.Response(status=upstream.status, body=payload, headers=kept)
