"""A local fake of the VK API (aiohttp on 127.0.0.1) that speaks VK's wire format and records calls.

- `POST /method/<name>` with a form-encoded body (as vk_api sends it): answers `{"response": ...}` or
  `{"error": {"error_code", "error_msg", "request_params"}}`; checks `access_token` and `v`.
- Errors can be injected per method (`fail("messages.send", 6, times=2)`).
- messages.send is idempotent on (peer_id, random_id) like VK: a repeated random_id returns the id
  of the message already sent and sends nothing new (`messages` holds what "arrived").
- Bots Long Poll: `groups.getLongPollServer` -> {server, key, ts}; `GET <server>?act=a_check&key=&ts=&wait=`
  -> {ts, updates} from the events queued with `push_event`, or an injected `{"failed": 1|2|3}`.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Call:
    method: str
    params: dict[str, str]


@dataclass
class FakeVk:
    group_id: int
    token: str = "vk-test-token"
    allowed_users: set[int] = field(default_factory=set)  # users who allow messages from the community
    port: int = 0
    max_wait: float = 2.0  # a long poll is held at most this long (whatever `wait` says)
    calls: list[Call] = field(default_factory=list)
    messages: list[dict[str, str]] = field(default_factory=list)
    comments: list[Call] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)  # long-poll history: ts n -> events[n:]
    polls: list[dict[str, str]] = field(default_factory=list)
    _errors: dict[str, list[int]] = field(default_factory=dict)
    _poll_failures: list[int] = field(default_factory=list)
    _keys: set[str] = field(default_factory=set)
    _sent: dict[tuple[str, str], int] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1001))
    _runner: web.AppRunner | None = None
    _news: asyncio.Event = field(default_factory=asyncio.Event)
    _stopping: bool = False

    # --- control

    @property
    def api_base(self) -> str:
        return f"http://{HOST}:{self.port}/method"

    def fail(self, method: str, code: int, times: int = 1) -> None:
        self._errors.setdefault(method, []).extend([code] * times)

    def fail_poll(self, code: int) -> None:
        """The next a_check answers {"failed": code} (1: keep going with our ts; 2: key expired; 3: all lost)."""
        self._poll_failures.append(code)

    def push_event(self, event: dict[str, Any]) -> None:
        self.events.append(event)
        self._news.set()

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def sent_to(self, peer_id: int) -> list[dict[str, str]]:
        return [m for m in self.messages if m["peer_id"] == str(peer_id)]

    # --- server

    async def start(self) -> FakeVk:
        app = web.Application()
        app.router.add_post("/method/{name}", self._method)
        app.router.add_get("/lp/{group}", self._long_poll)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, HOST, self.port)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self

    async def stop(self) -> None:
        self._stopping = True
        self._news.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _method(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        form = await request.post()
        params = {key: str(value) for key, value in form.items()}
        params.update({k: v for k, v in request.query.items() if k not in params})
        self.calls.append(Call(name, {k: v for k, v in params.items() if k != "access_token"}))
        if params.get("access_token") != self.token:
            return self._error(5, "User authorization failed: invalid access_token (4).", params)
        if not params.get("v"):
            return self._error(8, "Invalid request: v (version) is required", params)
        queued = self._errors.get(name)
        if queued:
            code = queued.pop(0)
            return self._error(code, _MESSAGES.get(code, "Error"), params)
        handler = getattr(self, "_" + name.replace(".", "_"), None)
        if handler is None:
            return self._error(3, "Unknown method passed", params)
        return await handler(params)

    @staticmethod
    def _error(code: int, message: str, params: dict[str, str]) -> web.Response:
        request_params = [{"key": k, "value": v} for k, v in params.items() if k in ("method", "v", "oauth")]
        return web.json_response({"error": {"error_code": code, "error_msg": message,
                                            "request_params": request_params}})

    async def _messages_send(self, params: dict[str, str]) -> web.Response:
        if "random_id" not in params or "peer_id" not in params:
            return self._error(100, "One of the parameters specified was missing or invalid: random_id is undefined",
                               params)
        key = (params["peer_id"], params["random_id"])
        if key not in self._sent:  # VK: a random_id already used in this dialog sends nothing new
            self._sent[key] = next(self._ids)
            self.messages.append(params)
        return web.json_response({"response": self._sent[key]})

    async def _messages_isMessagesFromGroupAllowed(self, params: dict[str, str]) -> web.Response:
        allowed = int(params.get("user_id", "0")) in self.allowed_users
        return web.json_response({"response": {"is_allowed": 1 if allowed else 0}})

    async def _wall_createComment(self, params: dict[str, str]) -> web.Response:
        self.comments.append(Call("wall.createComment", params))
        return web.json_response({"response": {"comment_id": next(self._ids), "parents_stack": []}})

    async def _board_createComment(self, params: dict[str, str]) -> web.Response:
        self.comments.append(Call("board.createComment", params))
        return web.json_response({"response": next(self._ids)})

    async def _groups_getLongPollServer(self, params: dict[str, str]) -> web.Response:
        if params.get("group_id") != str(self.group_id):
            return self._error(100, "One of the parameters specified was missing or invalid: group_id", params)
        key = secrets.token_hex(16)
        self._keys.add(key)
        return web.json_response({"response": {
            "key": key, "server": f"http://{HOST}:{self.port}/lp/{self.group_id}", "ts": str(len(self.events))}})

    async def _long_poll(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        self.polls.append(query)
        if query.get("act") != "a_check":
            return web.json_response({"failed": 2})
        if self._poll_failures:
            code = self._poll_failures.pop(0)
            if code == 2:
                self._keys.clear()  # the key is expired: only a fresh one works
            if code == 3:
                self._keys.clear()
            answer: dict[str, Any] = {"failed": code}
            if code == 1:
                answer["ts"] = query.get("ts", "0")
            return web.json_response(answer)
        if query.get("key") not in self._keys:
            return web.json_response({"failed": 2})
        try:
            ts = int(query.get("ts", ""))
        except ValueError:
            return web.json_response({"failed": 1, "ts": str(len(self.events))})
        if ts > len(self.events):
            return web.json_response({"failed": 1, "ts": str(len(self.events))})
        if ts == len(self.events) and not self._stopping:
            self._news.clear()
            wait = min(float(query.get("wait", "25")), self.max_wait)
            try:
                await asyncio.wait_for(self._news.wait(), wait)
            except TimeoutError:
                pass
        return web.json_response({"ts": str(len(self.events)), "updates": self.events[ts:]})


_MESSAGES = {
    1: "Unknown error occurred",
    5: "User authorization failed",
    6: "Too many requests per second",
    9: "Flood control",
    10: "Internal server error",
    29: "Rate limit reached",
    100: "One of the parameters specified was missing or invalid",
    901: "Can't send messages for users without permission",
    902: "Can't send messages to this user due to their privacy settings",
    914: "Message is too long",
}
