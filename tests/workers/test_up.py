"""`complaints up --demo`, the README's start command: serves, routes, and stops cleanly on Ctrl-C."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.support.postgres import free_port
from tests.support.waiting import eventually

TOKEN = "up-test-token"


def children_of(pid: int) -> set[int]:
    found: set[int] = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def start_up(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "workers.cli", "up", "--demo"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def still_running(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        status = Path(f"/proc/{pid}/status")
        if status.exists() and "zombie" not in status.read_text():
            alive.add(pid)
    return alive


async def test_up_serves_routes_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    env = dict(os.environ, COMPLAINTS_DATA_DIR=str(tmp_path / "var"), COMPLAINTS_WEB_PORT=str(port),
               COMPLAINTS_API_TOKENS=f'{{"lk": {{"token": "{TOKEN}", "scopes": ["feedback", "tickets:read"]}}}}')
    env.pop("NATS_URL", None)
    env.pop("DATABASE_URL", None)
    up = start_up(env)
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=5) as http:

            async def healthy() -> bool:
                try:
                    return (await http.get("/healthz")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(healthy, within=120, every=0.5)
            children = children_of(up.pid)
            assert len(children) >= 4  # nats-server, normalize, route+relay+deliver, web

            auth = {"Authorization": f"Bearer {TOKEN}", "Idempotency-Key": "up-1"}
            accepted = await http.post("/api/v1/feedback", headers=auth,
                                       json={"text": "Нет интернета", "contract_number": "12-345678"})
            assert accepted.status_code == 202
            status_url = accepted.json()["status_url"]

            async def registered() -> dict | None:
                body = (await http.get(status_url, headers={"Authorization": f"Bearer {TOKEN}"})).json()
                return body if body.get("status") == "registered" else None

            body = await eventually(registered, within=60, every=0.2)
            ticket = (await http.get(f"/api/v1/tickets/{body['ticket_number']}",
                                     headers={"Authorization": f"Bearer {TOKEN}"})).json()
            assert ticket["assignee"] == "ivanova"  # the demo client's personal manager
            assert ticket["clocks"]["first_response_due"]

        up.send_signal(signal.SIGINT)
        output, _ = await asyncio.to_thread(up.communicate, timeout=60)
        assert up.returncode == 0, output.decode(errors="replace")[-2000:]
        assert still_running(children) == set()
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()
