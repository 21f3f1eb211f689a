"""A local fake Telegram Bot API server (aiohttp on 127.0.0.1): the real request format, recorded calls.

Requests are POSTs to /bot<token>/<method>, form-encoded, multipart or JSON (aiogram sends forms; JSON-
valued parameters such as reply_markup arrive as JSON strings). Implements getMe, sendMessage,
getUpdates (queued updates served by offset, confirmed when a higher offset is asked for, long poll),
setWebhook and deleteWebhook; failures (429 with retry_after, 5xx, 400/403) can be injected per method.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Call:
    method: str
    params: dict[str, Any]
    content_type: str
    status: int = 200  # the HTTP status the fake answered with


@dataclass
class Failure:
    status: int
    description: str
    retry_after: int | None
    times: int


@dataclass
class FakeTelegram:
    token: str
    bot_username: str = "operator_claims_bot"
    calls: list[Call] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    confirmed_offset: int = 0
    webhook: dict[str, Any] | None = None
    base_url: str = ""
    _failures: dict[str, list[Failure]] = field(default_factory=dict)
    _new_update: asyncio.Event = field(default_factory=asyncio.Event)
    _message_ids: int = 1000

    @property
    def bot_id(self) -> int:
        return int(self.token.split(":", 1)[0])

    # --- test controls

    def fail(self, method: str, status: int, description: str, *, retry_after: int | None = None,
             times: int = 1) -> None:
        self._failures.setdefault(method, []).append(Failure(status, description, retry_after, times))

    def queue(self, *updates: dict[str, Any]) -> None:
        self.updates.extend(updates)
        self._new_update.set()

    def called(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def sent(self, chat_id: int | str | None = None) -> list[dict[str, Any]]:
        """The messages that went out (answered 200), in order."""
        return [c.params for c in self.called("sendMessage")
                if c.status == 200 and (chat_id is None or str(c.params.get("chat_id")) == str(chat_id))]

    # --- the server

    async def _params(self, request: web.Request) -> tuple[dict[str, Any], str]:
        content_type = request.content_type
        if content_type == "application/json":
            body = await request.json()
            return (body if isinstance(body, dict) else {}), content_type
        if request.can_read_body:
            form = await request.post()
            return {k: v for k, v in form.items() if isinstance(v, str)}, content_type
        return dict(request.query), content_type

    async def handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._error(401, "Unauthorized")
        method = request.match_info["method"]
        params, content_type = await self._params(request)
        response = await self._answer(method, params)
        self.calls.append(Call(method, params, content_type, response.status))
        return response

    async def _answer(self, method: str, params: dict[str, Any]) -> web.Response:
        failure = self._next_failure(method)
        if failure is not None:
            return self._error(failure.status, failure.description, failure.retry_after)
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return self._error(404, "Not Found: method not found")
        result = await handler(params)
        if isinstance(result, web.Response):
            return result
        return web.json_response({"ok": True, "result": result})

    def _next_failure(self, method: str) -> Failure | None:
        queue = self._failures.get(method) or []
        if not queue:
            return None
        failure = queue[0]
        failure.times -= 1
        if failure.times <= 0:
            queue.pop(0)
        return failure

    @staticmethod
    def _error(status: int, description: str, retry_after: int | None = None) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        return web.json_response(body, status=status)

    async def _m_getMe(self, params: dict[str, Any]) -> Any:
        return {"id": self.bot_id, "is_bot": True, "first_name": "Претензии", "username": self.bot_username}

    async def _m_sendMessage(self, params: dict[str, Any]) -> Any:
        text = params.get("text")
        chat_id = params.get("chat_id")
        if not text or chat_id in (None, ""):
            return self._error(400, "Bad Request: message text is empty" if not text else "Bad Request: chat not found")
        if len(str(text).encode("utf-16-le")) // 2 > 4096:
            return self._error(400, "Bad Request: message is too long")
        self._message_ids += 1
        chat = int(chat_id) if str(chat_id).lstrip("-").isdigit() else chat_id
        return {"message_id": self._message_ids, "date": int(time.time()),
                "chat": {"id": chat, "type": "private"}, "text": text,
                "from": {"id": self.bot_id, "is_bot": True, "first_name": "Претензии"}}

    async def _m_getUpdates(self, params: dict[str, Any]) -> Any:
        if self.webhook is not None:
            return self._error(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        if offset:
            # Everything below the offset is confirmed and gone for good.
            self.confirmed_offset = max(self.confirmed_offset, offset)
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        if not self.updates and timeout > 0:
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), timeout)
            except TimeoutError:
                pass
        return self.updates[:limit]

    async def _m_setWebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = params
        return True

    async def _m_deleteWebhook(self, params: dict[str, Any]) -> Any:
        self.webhook = None
        if str(params.get("drop_pending_updates")).lower() == "true":
            self.updates.clear()
        return True


@asynccontextmanager
async def fake_telegram(token: str = "123456:test-token_ABC") -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram(token)
    app = web.Application()
    app.router.add_route("POST", "/bot{token}/{method}", fake.handle)
    app.router.add_route("GET", "/bot{token}/{method}", fake.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, HOST, 0)
    await site.start()
    sockets = site._server.sockets if site._server is not None else []  # type: ignore[union-attr]
    port = sockets[0].getsockname()[1]
    fake.base_url = f"http://{HOST}:{port}"
    try:
        yield fake
    finally:
        fake._new_update.set()
        await runner.cleanup()


def form_json(params: dict[str, Any], key: str) -> Any:
    """A JSON-valued parameter (reply_markup, reply_parameters) as sent in a form."""
    value = params.get(key)
    return json.loads(value) if isinstance(value, str) else value
