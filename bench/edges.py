"""Benchmark: complaints offered at a fixed rate through the real edges of `complaints up --demo`.

Starts the whole gateway as a newcomer does (`complaints up --demo`: embedded nats-server, SQLite by default,
every worker and the web process as child processes) in a temp dir, with the VK and Telegram channels
pointed at local fakes. Then, open loop (a request is sent on schedule whether or not the earlier ones were
answered), offers RATE requests/s for SECONDS, spread over the REST feedback API, the VK Callback API webhook
and the Telegram webhook, each a new client's complaint. Prints, per rate: accepted/s, HTTP p50/p99, and
p50/p99 from the moment the request was sent to the ticket committed (submissions.routed_at), plus the CPU
of the web process and of the supervisor.

    uv run python bench/edges.py [--rates 50,100,200] [--seconds 20] [--postgres]
"""

from __future__ import annotations

# isort: off
import benchpath  # noqa: F401 - first: fixes sys.path before the stdlib `email` is imported
# isort: on

import argparse
import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import httpx
from measure import StolenTime, cpu_seconds, pct, peak_rss_mb
from platform_payloads import telegram_private_message, vk_message_new
from sqlalchemy import select

from router.models import Submission
from router.timeutil import aware
from tests.support.fake_telegram import fake_telegram
from tests.support.fake_vk import FakeVk
from workers.app.runtime import Database
from workers.app.settings import Settings

API_TOKEN = "bench-token-0123456789"
VK_SECRET = "bench-vk-secret"
VK_GROUP = 229000001
TG_TOKEN = "123456:bench-token_ABC"
TG_SECRET = "bench-tg-secret"
MARK = re.compile(r"edge-bench-(\d+)")
TEXT = "Прошу разобраться: интернет пропадает каждый вечер, скорость ниже тарифной. "


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Offered:
    index: int
    edge: str
    sent_at: float  # wall clock, to compare with routed_at
    status: int = 0
    http_s: float = 0.0


@dataclass
class Gateway:
    url: str
    process: subprocess.Popen[bytes]
    env: dict[str, str]
    settings: Settings
    children: dict[str, int] = field(default_factory=dict)


EDGES = ("rest", "vk", "telegram")


def request_for(i: int, edges: tuple[str, ...] = EDGES) -> tuple[str, str, dict[str, str], bytes]:
    """(edge, path, headers, body) of the i-th complaint: a new client each time, on each edge in turn."""
    text = f"Обращение edge-bench-{i}. {TEXT * 6}"
    edge = edges[i % len(edges)]
    if edge == "rest":
        body = {"text": text, "email": f"client{i}@example.ru", "name": "Клиент"}
        return edge, "/api/v1/feedback", {"Authorization": f"Bearer {API_TOKEN}", "Idempotency-Key": f"edge-{i}",
                                          "Content-Type": "application/json"}, json.dumps(body).encode()
    now = int(time.time())
    if edge == "vk":
        event = {**vk_message_new(VK_GROUP, f"{i:040x}", 600000 + i, i, text, now), "secret": VK_SECRET}
        return edge, "/channels/vk/callback", {"Content-Type": "application/json"}, json.dumps(event).encode()
    update = telegram_private_message(100000 + i, 700000 + i, i, text, now)
    return edge, "/channels/telegram/webhook", {"Content-Type": "application/json",
                                                "X-Telegram-Bot-Api-Secret-Token": TG_SECRET}, \
        json.dumps(update).encode()


def gateway_env(data_dir: Path, port: int, vk_api: str, tg_api: str, database_url: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "COMPLAINTS_DATA_DIR": str(data_dir), "COMPLAINTS_WEB_PORT": str(port), "COMPLAINTS_LOG_LEVEL": "WARNING",
        "COMPLAINTS_API_TOKENS": json.dumps({"bench": API_TOKEN}),
        "COMPLAINTS_VK": json.dumps({"group_id": VK_GROUP, "token": "vk-test-token", "mode": "callback",
                                     "api_base": vk_api, "secret": VK_SECRET, "confirmation": "abc"}),
        "COMPLAINTS_TELEGRAM": json.dumps({"token": TG_TOKEN, "mode": "webhook", "api_base": tg_api,
                                           "webhook_secret": TG_SECRET}),
    })
    env.pop("NATS_URL", None)
    if database_url:
        env["COMPLAINTS_DATABASE_URL"] = database_url
    return env


def child_pids(parent: int) -> dict[str, int]:
    """The supervisor's children by their `complaints` role (web, route+relay..., nats-server)."""
    found: dict[str, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid != parent:
                continue
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except (FileNotFoundError, ProcessLookupError):
            continue
        words = [a.decode() for a in argv if a]
        if "web" in words:
            found["web"] = int(entry.name)
        elif "worker" in words:
            found["+".join(words[words.index("worker") + 1:])] = int(entry.name)
        elif words and "nats-server" in words[0]:
            found["nats-server"] = int(entry.name)
    return found


def start_up(env: dict[str, str]) -> subprocess.Popen[bytes]:
    log = Path(env["COMPLAINTS_DATA_DIR"]).parent / "up.log"
    return subprocess.Popen([sys.executable, "-m", "workers.cli", "up", "--demo"], env=env,
                            stdout=subprocess.DEVNULL, stderr=log.open("wb"))


@asynccontextmanager
async def running_gateway(data_dir: Path, vk_api: str, tg_api: str, database_url: str | None) -> AsyncIterator[Gateway]:
    port = free_port()
    env = gateway_env(data_dir, port, vk_api, tg_api, database_url)
    process = start_up(env)
    gateway = Gateway(f"http://127.0.0.1:{port}", process, env, Settings(_env_file=None, data_dir=data_dir,
                                                                          database_url=database_url))
    try:
        async with httpx.AsyncClient(base_url=gateway.url) as client:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the gateway did not start")
                await asyncio.sleep(0.3)
        await asyncio.sleep(3)  # every worker connected and pulling
        gateway.children = child_pids(process.pid)
        yield gateway
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()


async def offer(url: str, rate: float, seconds: float, first: int, edges: tuple[str, ...] = EDGES,
                ) -> list[Offered]:
    """Open loop: request i leaves at start + i/rate, answered or not. aiohttp, not httpx: the load generator
    shares the machine's CPUs with the gateway, and aiohttp's client costs several times less per request."""
    results: list[Offered] = []
    connector = aiohttp.TCPConnector(limit=2000)
    async with aiohttp.ClientSession(url, connector=connector, timeout=aiohttp.ClientTimeout(total=120)) as client:
        async def one(i: int, at: float) -> None:
            await asyncio.sleep(max(0.0, at - time.monotonic()))
            edge, path, headers, body = request_for(i, edges)
            offered = Offered(i, edge, time.time())
            results.append(offered)
            started = time.monotonic()
            try:
                async with client.post(path, data=body, headers=headers) as response:
                    await response.read()
                    offered.status = response.status
            except (aiohttp.ClientError, TimeoutError):
                offered.status = -1
            offered.http_s = time.monotonic() - started

        start = time.monotonic() + 0.2
        count = int(rate * seconds)
        await asyncio.gather(*(one(first + k, start + k / rate) for k in range(count)))
    return results


async def ticket_latencies(settings: Settings, sent: dict[int, float], within: float) -> list[float]:
    """Seconds from each request's send to its ticket committed, waiting until every accepted one is routed."""
    database = Database.from_settings(settings)
    deadline = time.monotonic() + within
    routed: dict[int, float] = {}
    try:
        while True:
            async with database.read_sessions() as session:
                rows = (await session.execute(select(Submission.event, Submission.routed_at))).all()
            for event, routed_at in rows:
                match = MARK.search(json.dumps(event, ensure_ascii=False))
                if match:
                    routed[int(match.group(1))] = aware(routed_at).timestamp()
            if set(sent) <= set(routed) or time.monotonic() > deadline:
                break
            await asyncio.sleep(1.0)
    finally:
        await database.close()
    return [routed[i] - sent[i] for i in sent if i in routed]


def ms(values: list[float], q: float) -> str:
    return f"{pct(values, q) * 1000:.0f}" if values else "—"


def profile_web(pid: int, seconds: float, folder: Path | None, rate: float) -> subprocess.Popen[bytes] | None:
    """py-spy on the web process while the rate is offered: collapsed stacks (flamegraph.pl / speedscope)."""
    if folder is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    # --gil: only samples holding the GIL, so idle threads and waits do not dilute the profile.
    return subprocess.Popen(["py-spy", "record", "--gil", "--pid", str(pid), "--duration", str(int(seconds)),
                             "--format", "raw", "--output", str(folder / f"web-{rate:.0f}.txt")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def run(rates: list[float], seconds: float, database_url: str | None = None,
              profile: Path | None = None, edges: tuple[str, ...] = EDGES) -> list[dict[str, float]]:
    """Prints the table as it goes; returns its rows (rate, accepted, http/ticket p50 and p99 in ms, CPU)."""
    rows: list[dict[str, float]] = []
    vk = await FakeVk(VK_GROUP, allowed_users=set()).start()
    try:
        async with fake_telegram(TG_TOKEN) as tg:
            with tempfile.TemporaryDirectory(prefix="bench-edges-") as tmp:
                async with running_gateway(Path(tmp), vk.api_base, tg.base_url, database_url) as gateway:
                    print(f"edges: `complaints up --demo` on {'PostgreSQL' if database_url else 'SQLite'}, "
                          f"{os.cpu_count()} CPUs; REST feedback, VK callback and Telegram webhook in turn, "
                          f"{seconds:.0f} s per rate, open loop")
                    print("| offered | accepted | HTTP p50 | HTTP p99 | sent → ticket p50 | sent → ticket p99 "
                          "| web CPU | supervisor CPU | CPU stolen by the VM host |")
                    print("|---|---|---|---|---|---|---|---|---|")
                    first = 0
                    for rate in rates:
                        web_pid = gateway.children.get("web", 0)
                        cpu0 = {"web": cpu_seconds(web_pid), "up": cpu_seconds(gateway.process.pid)}
                        t0, stolen = time.monotonic(), StolenTime()
                        spy = profile_web(web_pid, seconds, profile, rate)
                        offered = await offer(gateway.url, rate, seconds, first, edges)
                        if spy is not None:
                            spy.wait(60)
                        span, stolen_share = time.monotonic() - t0, stolen.share()
                        cpu = {k: (cpu_seconds(web_pid if k == "web" else gateway.process.pid) - v) / span
                               for k, v in cpu0.items()}
                        accepted = {o.index: o for o in offered if 200 <= o.status < 300}
                        http = [o.http_s for o in accepted.values()]
                        sent = {i: o.sent_at for i, o in accepted.items()}
                        to_ticket = await ticket_latencies(gateway.settings, sent, within=120)
                        failed = len(offered) - len(accepted)
                        print(f"| {rate:.0f}/s | {len(accepted) / span:.0f}/s"
                              f"{f' ({failed} refused)' if failed else ''} | {ms(http, 50)} ms | {ms(http, 99)} ms "
                              f"| {ms(to_ticket, 50)} ms | {ms(to_ticket, 99)} ms | {cpu['web'] * 100:.0f}% "
                              f"| {cpu['up'] * 100:.1f}% | {stolen_share * 100:.0f}% |", flush=True)
                        by_edge = "  ".join(
                            f"{edge}: {sum(1 for o in offered if o.edge == edge and o.index in accepted)} accepted, "
                            f"p50 {ms([o.http_s for o in accepted.values() if o.edge == edge], 50)} ms, "
                            f"p99 {ms([o.http_s for o in accepted.values() if o.edge == edge], 99)} ms"
                            for edge in edges)
                        print(f"  HTTP by edge: {by_edge}")
                        rows.append({
                            "rate": rate, "accepted": len(accepted) / span, "refused": failed,
                            "http_p50": pct(http, 50) * 1000 if http else -1.0,
                            "http_p99": pct(http, 99) * 1000 if http else -1.0,
                            "ticket_p50": pct(to_ticket, 50) * 1000 if to_ticket else -1.0,
                            "ticket_p99": pct(to_ticket, 99) * 1000 if to_ticket else -1.0,
                            "lost": len(accepted) - len(to_ticket), "web_cpu": cpu["web"], "up_cpu": cpu["up"],
                            "stolen": stolen_share})
                        if len(to_ticket) < len(accepted):
                            print(f"  !! {len(accepted) - len(to_ticket)} accepted submissions have no ticket")
                        first += len(offered)
                        await asyncio.sleep(2)
                    rss = "  ".join(f"{name} {peak_rss_mb(pid):.0f} MB" for name, pid in gateway.children.items())
                    print(f"peak RSS: {rss}")
    finally:
        await vk.stop()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", default="50,100,200", help="offered rates, requests/s (default 50,100,200)")
    parser.add_argument("--seconds", type=float, default=20.0, help="seconds at each rate (default 20)")
    parser.add_argument("--database-url", default=None, help="e.g. postgresql+asyncpg://… (default: SQLite)")
    parser.add_argument("--profile", type=Path, default=None,
                        help="folder for py-spy stacks of the web process at each rate (on CPU only)")
    parser.add_argument("--edges", default=",".join(EDGES), help="comma-separated subset of rest,vk,telegram")
    args = parser.parse_args()
    asyncio.run(run([float(r) for r in args.rates.split(",")], args.seconds, args.database_url, args.profile,
                    tuple(args.edges.split(","))))


if __name__ == "__main__":
    main()
