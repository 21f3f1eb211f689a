"""A local fake of the OK.ru Graph API (aiohttp on 127.0.0.1, in its own thread), recording every call.

It speaks the documented wire format: the group token as the `access_token` query parameter, JSON
POST bodies, OK-style errors (`{"error_code", "error_msg"}` with HTTP 200) for a bad token.
Implemented: POST /graph/me/messages/chat:<id>, POST /graph/me/subscribe (webhook `url`, or
`types` + `longPolling`), POST /graph/me/unsubscribe, GET /graph/me/subscriptions, and
GET /graph/me/updates (graph.user.updates: `marker`, `count`, `timeout` -> `{"updates", "marker"}`).

Programmable trouble for the next message POSTs (`plan`): "delay:<s>" records the message as
posted and then answers only after <s> seconds (a client with a shorter timeout cannot know),
"status:<code>" answers that HTTP status without posting, "error:<code>" an OK error code.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "tkn1-fake-group-token:CQABPOJKAKEKEKEKE"


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    content_type: str


@dataclass
class FakeOk:
    token: str = TOKEN
    host: str = "127.0.0.1"
    port: int = 0
    calls: list[Call] = field(default_factory=list)
    posted: list[dict[str, Any]] = field(default_factory=list)  # messages taken (as OK would show them)
    subscriptions: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    plan: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _loop: asyncio.AbstractEventLoop | None = None
    _news: asyncio.Event | None = None
    _mids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # --- test side (any thread)

    def calls_to(self, path_prefix: str, method: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.path.startswith(path_prefix) and (method is None or c.method == method)]

    def messages_in(self, chat_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return [m for m in self.posted if m["chat_id"] == chat_id]

    def push_update(self, event: dict[str, Any]) -> None:
        with self._lock:
            self.updates.append(event)
        if self._loop is not None and self._news is not None:
            self._loop.call_soon_threadsafe(self._news.set)

    def then(self, *steps: str) -> None:
        with self._lock:
            self.plan.extend(steps)

    # --- server side

    def _record(self, request: web.Request, body: Any) -> None:
        with self._lock:
            self.calls.append(Call(request.method, request.path, dict(request.query), body,
                                   request.headers.get("Content-Type", "")))

    async def _body(self, request: web.Request) -> Any:
        if request.method != "POST":
            return None
        raw = await request.read()
        return json.loads(raw) if raw else None

    def _token_error(self, request: web.Request) -> web.Response | None:
        if request.query.get("access_token") != self.token:
            return web.json_response({"error_code": 102, "error_msg": "PARAM_SESSION_EXPIRED : Session expired",
                                      "error_data": None})
        return None

    def _json_error(self, request: web.Request) -> web.Response | None:
        if request.method == "POST" and not request.headers.get("Content-Type", "").startswith("application/json"):
            return web.json_response({"error_code": 100, "error_msg": "PARAM : Content-Type must be JSON"})
        return None

    async def send_message(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        self._record(request, body)
        refused = self._token_error(request) or self._json_error(request)
        if refused is not None:
            return refused
        chat = request.match_info["chat"]
        if (not isinstance(body, dict) or not chat.startswith("chat:")
                or body.get("recipient", {}).get("chat_id") != chat
                or not isinstance(body.get("message", {}).get("text"), str)):
            return web.json_response({"error_code": 100, "error_msg": "PARAM : bad recipient or message"})
        with self._lock:
            step = self.plan.pop(0) if self.plan else ""
        kind, _, value = step.partition(":")
        if kind == "status":
            return web.json_response({"error_code": 2, "error_msg": "SERVICE"}, status=int(value))
        if kind == "error":
            return web.json_response({"error_code": int(value), "error_msg": f"error {value}"})
        mid = f"mid:{chat.removeprefix('chat:')}.{next(self._mids):x}"
        with self._lock:
            self.posted.append({"chat_id": chat, "text": body["message"]["text"], "mid": mid})
        if kind == "delay":
            await asyncio.sleep(float(value))
        return web.json_response({"success": True, "message_id": mid})

    async def subscribe(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        self._record(request, body)
        refused = self._token_error(request) or self._json_error(request)
        if refused is not None:
            return refused
        if not isinstance(body, dict) or not (isinstance(body.get("url"), str) or body.get("longPolling") is True):
            return web.json_response({"error_code": 100, "error_msg": "PARAM : url or longPolling required"})
        if isinstance(body.get("url"), str):
            with self._lock:
                if all(s["url"] != body["url"] for s in self.subscriptions):
                    self.subscriptions.append({"url": body["url"], "time": 1700000000000})
        return web.json_response({"success": True})

    async def unsubscribe(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        self._record(request, body)
        refused = self._token_error(request) or self._json_error(request)
        if refused is not None:
            return refused
        url = body.get("url") if isinstance(body, dict) else None
        with self._lock:
            before = len(self.subscriptions)
            self.subscriptions = [s for s in self.subscriptions if s["url"] != url]
            removed = len(self.subscriptions) < before
        return web.json_response({"success": removed})

    async def list_subscriptions(self, request: web.Request) -> web.Response:
        self._record(request, None)
        refused = self._token_error(request)
        if refused is not None:
            return refused
        with self._lock:
            return web.json_response({"subscriptions": list(self.subscriptions)})

    async def get_updates(self, request: web.Request) -> web.Response:
        self._record(request, None)
        refused = self._token_error(request)
        if refused is not None:
            return refused
        start = int(request.query.get("marker") or 0)
        count = int(request.query.get("count") or 100)
        wait = min(float(request.query.get("timeout") or 0), 1.0)  # a short hold keeps tests quick
        assert self._news is not None
        with self._lock:
            ready = len(self.updates) > start
            self._news.clear()
        if not ready and wait > 0:
            try:
                await asyncio.wait_for(self._news.wait(), wait)
            except TimeoutError:
                pass
        with self._lock:
            batch = self.updates[start:start + count]
        return web.json_response({"updates": batch, "marker": str(start + len(batch))})

    # --- lifecycle

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/graph/me/messages/{chat}", self.send_message)
        app.router.add_post("/graph/me/subscribe", self.subscribe)
        app.router.add_post("/graph/me/unsubscribe", self.unsubscribe)
        app.router.add_get("/graph/me/subscriptions", self.list_subscriptions)
        app.router.add_get("/graph/me/updates", self.get_updates)
        return app


@contextmanager
def fake_ok(token: str = TOKEN) -> Iterator[FakeOk]:
    """The fake running on a free loopback port until the block ends."""
    fake = FakeOk(token=token)
    loop = asyncio.new_event_loop()
    started = threading.Event()
    runner = web.AppRunner(fake._app())

    async def start() -> None:
        fake._news = asyncio.Event()
        await runner.setup()
        site = web.TCPSite(runner, fake.host, 0)
        await site.start()
        server = site._server
        assert server is not None
        fake.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        fake._loop = loop
        started.set()
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())
        loop.close()

    thread = threading.Thread(target=serve, name="fake-ok", daemon=True)
    thread.start()
    started.wait(10)
    try:
        yield fake
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


def closed_port() -> int:
    """A loopback port nobody listens on (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
