"""A VK API client on vk_api (synchronous: every call runs in a thread via `asyncio.to_thread`).

vk_api posts every method to the fixed URL `https://api.vk.ru/method/<name>`; the requests session
given to it rewrites that prefix to the configured `api_base` (a fake server in tests) and puts a
timeout on every request (requests has none by default). vk_api's own handler for error 6 sleeps
and retries without end: it is removed, the caller decides (6, 9 and 29 are rate limits).
"""

from __future__ import annotations

import asyncio
from typing import Any

import requests
import vk_api
from jconfig.memory import MemoryConfig

from channels.vk.config import VkConfig

VK_METHOD_URL = "https://api.vk.ru/method/"
RATE_LIMIT_CODES = frozenset({6, 9, 29})  # too many requests per second, flood control, rate limit


class VkError(Exception):
    """VK answered with an error object."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"[{code}] {message}")
        self.code = code
        self.message = message

    @property
    def temporary(self) -> bool:
        return self.code in RATE_LIMIT_CODES or self.code in (1, 10)  # 1 unknown, 10 internal server error


class VkUnavailable(Exception):
    """No answer: connection refused, timeout, HTTP error or a body that is not VK's JSON."""


class RoutedSession(requests.Session):
    """Sends vk_api's method calls to `api_base`, each with a timeout."""

    def __init__(self, api_base: str, timeout: float) -> None:
        super().__init__()
        self.api_base = api_base.rstrip("/") + "/"
        self.timeout = timeout
        self.headers["User-Agent"] = "complaints-gateway (vk_api)"

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        if isinstance(url, str) and url.startswith(VK_METHOD_URL):
            url = self.api_base + url[len(VK_METHOD_URL):]
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)  # type: ignore[arg-type]


def make_vk_api(config: VkConfig) -> vk_api.VkApi:
    api = vk_api.VkApiGroup(
        token=config.token.get_secret_value(), api_version=config.api_version,
        session=RoutedSession(config.api_base, config.timeout), config=MemoryConfig,
    )
    api.RPS_DELAY = 1.0 / config.rps  # vk_api spaces calls of one client under its lock
    api.error_handlers.pop(6, None)
    return api


class VkClient:
    def __init__(self, config: VkConfig) -> None:
        self.config = config
        self.api = make_vk_api(config)

    def call(self, method: str, **values: Any) -> Any:
        """One method call (blocking); the `response` part of VK's answer."""
        try:
            return self.api.method(method, values)
        except vk_api.ApiError as exc:
            raise VkError(int(exc.code), str(exc.error.get("error_msg", ""))[:500]) from None
        except (vk_api.ApiHttpError, requests.RequestException, ValueError) as exc:
            raise VkUnavailable(f"{method}: {type(exc).__name__}") from None

    async def acall(self, method: str, **values: Any) -> Any:
        return await asyncio.to_thread(self.call, method, **values)
