"""Polling mode: getUpdates called directly, the offset advanced only past updates whose publish returned.

Telegram keeps unconfirmed updates for 24 h and confirms an update when getUpdates is called with a
higher offset, so nothing is persisted here: after a crash or a failed publish the same updates come
back, and JetStream drops the ones already stored (Nats-Msg-Id on update_id).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from channels.base import ChannelUnavailable
from channels.stopping import unless_stopped
from channels.telegram.bot import api_server
from channels.telegram.config import TelegramConfig
from channels.telegram.metrics import count
from channels.telegram.setup import ALLOWED_UPDATES

log = logging.getLogger("complaints.telegram")

Handle = Callable[[dict[str, Any]], Awaitable[object]]


class GetUpdatesFailed(ChannelUnavailable):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class BotApiUpdates:
    """getUpdates as raw JSON (the update objects exactly as Telegram sent them)."""

    def __init__(self, config: TelegramConfig) -> None:
        self.config = config
        self.url = api_server(config).api_url(config.token.get_secret_value(), "getUpdates")
        self._session: aiohttp.ClientSession | None = None

    async def fetch(self, offset: int | None, wait: int, limit: int = 100) -> list[dict[str, Any]]:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        params: dict[str, Any] = {"timeout": wait, "limit": limit, "allowed_updates": ALLOWED_UPDATES}
        if offset is not None:
            params["offset"] = offset
        try:
            async with self._session.post(self.url, json=params,
                                          timeout=aiohttp.ClientTimeout(total=wait + self.config.timeout)) as resp:
                body = await resp.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise GetUpdatesFailed(f"getUpdates: {type(exc).__name__}") from exc
        if not isinstance(body, dict) or not body.get("ok"):
            parameters = body.get("parameters") if isinstance(body, dict) else None
            retry_after = parameters.get("retry_after") if isinstance(parameters, dict) else None
            description = body.get("description") if isinstance(body, dict) else None
            raise GetUpdatesFailed(f"getUpdates: HTTP {resp.status} {description or ''}".strip(), retry_after)
        result = body.get("result")
        return [u for u in result if isinstance(u, dict)] if isinstance(result, list) else []

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


@dataclass
class PollingLoop:
    """fetch -> handle each update in order -> the next fetch's offset confirms the handled ones."""

    config: TelegramConfig
    fetch: Callable[[int | None, int], Awaitable[Sequence[dict[str, Any]]]]
    handle: Handle
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    offset: int | None = None
    failures: int = 0

    async def run(self) -> None:
        while not self.stop.is_set():
            try:
                updates = await self._fetch_unless_stopped()
            except GetUpdatesFailed as exc:
                log.warning("telegram: %s", exc)
                await self._pause(exc.retry_after)
                continue
            if updates is None:
                break
            if not await self.handle_batch(updates):
                await self._pause(None)
        await self.confirm()

    async def _fetch_unless_stopped(self) -> Sequence[dict[str, Any]] | None:
        """The long poll, abandoned when stop is set (None): nothing fetched then is lost, it is unconfirmed."""
        return await unless_stopped(self.fetch(self.offset, self.config.poll_timeout), self.stop)

    async def handle_batch(self, updates: Sequence[dict[str, Any]]) -> bool:
        """Handle in order; stop at the first failure (it and the rest come back with the next fetch)."""
        for update in updates:
            update_id = update.get("update_id")
            if not isinstance(update_id, int):
                continue  # not even an id: cannot be confirmed by offset anyway; the next one confirms it
            if self.offset is not None and update_id < self.offset:
                continue
            try:
                await self.handle(update)
            except Exception as exc:  # any failure: do not confirm, fetch again
                count("publish_failed")
                log.warning("telegram: update %s not handed off (%s); it will be fetched again",
                            update_id, type(exc).__name__)
                return False
            self.offset = update_id + 1
        self.failures = 0
        return True

    async def confirm(self) -> None:
        """At stop: confirm the handled updates now, so a restart does not greet /start twice."""
        if self.offset is None:
            return
        try:
            await self.fetch(self.offset, 0)
        except GetUpdatesFailed as exc:
            log.info("telegram: final confirm failed (%s); updates will be fetched again and deduplicated", exc)

    async def _pause(self, retry_after: float | None) -> None:
        delays = self.config.retry_delays or [1.0]
        delay = retry_after if retry_after else delays[min(self.failures, len(delays) - 1)]
        self.failures += 1
        try:
            await asyncio.wait_for(self.stop.wait(), delay)
        except TimeoutError:
            pass
