"""OK.ru Graph API client (httpx): send a message, manage webhook subscriptions, read long-poll updates.

Every call carries the group token as the `access_token` query parameter; POST bodies are JSON
(`Content-Type: application/json;charset=utf-8`, as the Graph API asks). The token never appears
in an error text or a log line (`mask`).

Errors, by what they mean for a retry:
- `OkUnreachable`: nothing reached OK (connection refused, connect timeout, DNS): safe to retry;
- `OkAmbiguous`: the request may have been taken (timeout or connection loss after sending):
  OK has no idempotency key, so a resend may post twice;
- `OkApiError`: OK answered with an error (HTTP status or `error_code` in the body);
  `temporary` for 5xx, 429 and OK's "service unavailable"/flood codes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx

from channels.ok.config import OkConfig

JSON = {"Content-Type": "application/json;charset=utf-8"}
# OK API error codes worth a retry: UNKNOWN, SERVICE (temporarily unavailable), FLOOD_BLOCKED.
TEMPORARY_CODES = frozenset({1, 2, 8})
_TOKEN = re.compile(r"(access_token=)[^&\s]+")


def mask(text: str) -> str:
    return _TOKEN.sub(r"\1***", text)


class OkError(Exception):
    pass


class OkUnreachable(OkError):
    """Nothing was sent: retrying is safe."""


class OkAmbiguous(OkError):
    """Sent, but no answer: OK may or may not have taken it."""


@dataclass
class OkApiError(OkError):
    status: int
    code: int | None
    text: str
    temporary: bool

    def __str__(self) -> str:
        code = f" error_code={self.code}" if self.code is not None else ""
        return f"OK API HTTP {self.status}{code}: {self.text}"


def chat_path(chat_id: str) -> str:
    """'chat:C3e…' (or a bare 'C3e…') -> 'chat:C3e…' for /graph/me/messages/<chat>."""
    return chat_id if chat_id.startswith("chat:") else f"chat:{chat_id}"


class OkApi:
    """One httpx client; use as an async context manager (or call `aclose`)."""

    def __init__(self, config: OkConfig, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.config = config
        timeout = httpx.Timeout(config.send_timeout, connect=config.connect_timeout)
        self.client = httpx.AsyncClient(base_url=config.api_root, timeout=timeout, transport=transport)

    async def __aenter__(self) -> OkApi:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.client.aclose()

    async def _call(self, method: str, path: str, *, body: dict[str, Any] | None = None,
                    params: dict[str, Any] | None = None, read_limit: float | None = None) -> Any:
        query = {"access_token": self.config.token.get_secret_value(), **(params or {})}
        extra: dict[str, Any] = {}
        if read_limit is not None:
            extra["timeout"] = httpx.Timeout(read_limit, connect=self.config.connect_timeout)
        try:
            response = await self.client.request(method, path, params=query, json=body,
                                                 headers=JSON if body is not None else None, **extra)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol) as exc:
            raise OkUnreachable(f"{path}: {type(exc).__name__}: {mask(str(exc))}") from None
        except httpx.TransportError as exc:  # read/write timeout, dropped connection: sent, maybe taken
            raise OkAmbiguous(f"{path}: {type(exc).__name__}: {mask(str(exc))}") from None
        return _result(response)

    async def send_message(self, chat_id: str, text: str) -> dict[str, Any]:
        """POST /graph/me/messages/chat:<id> with {"recipient": {"chat_id"}, "message": {"text"}}."""
        chat = chat_path(chat_id)
        result = await self._call("POST", f"/graph/me/messages/{chat}",
                                  body={"recipient": {"chat_id": chat}, "message": {"text": text}})
        return result if isinstance(result, dict) else {"result": result}

    async def subscribe(self, url: str) -> Any:
        return await self._call("POST", "/graph/me/subscribe", body={"url": url})

    async def subscribe_longpoll(self, types: list[str]) -> Any:
        return await self._call("POST", "/graph/me/subscribe", body={"types": types, "longPolling": True})

    async def unsubscribe(self, url: str) -> Any:
        return await self._call("POST", "/graph/me/unsubscribe", body={"url": url})

    async def subscriptions(self) -> list[dict[str, Any]]:
        result = await self._call("GET", "/graph/me/subscriptions")
        items = result.get("subscriptions", []) if isinstance(result, dict) else result
        return [item for item in items or [] if isinstance(item, dict)]

    async def updates(self, marker: str | None, count: int, wait: float) -> dict[str, Any]:
        """graph.user.updates: {"updates": [event, ...], "marker": <next position>} (long polling)."""
        params: dict[str, Any] = {"count": count, "timeout": int(wait)}
        if marker is not None:
            params["marker"] = marker
        result = await self._call("GET", "/graph/me/updates", params=params,
                                  read_limit=wait + self.config.send_timeout)
        return result if isinstance(result, dict) else {"updates": result}


def _result(response: httpx.Response) -> Any:
    try:
        data = response.json() if response.content else None
    except ValueError:
        data = None
    code = data.get("error_code") if isinstance(data, dict) else None
    text = (data.get("error_msg") if isinstance(data, dict) else None) or response.text[:300]
    if response.status_code >= 400:
        temporary = response.status_code >= 500 or response.status_code in (408, 429)
        raise OkApiError(response.status_code, code if isinstance(code, int) else None, mask(str(text)), temporary)
    if isinstance(code, int):  # OK reports many errors with HTTP 200 and an error_code
        raise OkApiError(response.status_code, code, mask(str(text)), code in TEMPORARY_CODES)
    return data
