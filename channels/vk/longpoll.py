"""Bots Long Poll with vk_api, with the `ts` kept in a JetStream Key-Value bucket.

vk_api's `VkBotLongPoll.check()` moves its `ts` as soon as the answer arrives, before anything was
handed on, and a restarted `VkBotLongPoll` starts from a fresh `ts` (events that came while the
intake was down are skipped). Here `fetch()` only reads; the caller advances `ts` (in memory and in
the bucket) after every event of the answer has its PubAck. `failed`: 1 -> continue from the `ts`
the server gives; 2 -> a new key, our own `ts`; 3 -> a new key and `ts` (VK lost the history).
"""

from __future__ import annotations

from typing import Any

import requests
from vk_api.bot_longpoll import VkBotLongPoll

from channels.positions import text_positions
from channels.vk.api import VkClient, VkUnavailable

TS = text_positions("VK_LONGPOLL", "VK Bots Long Poll: the ts to resume from, per community")


def ts_key(group_id: int) -> str:
    """Per community: the `ts` from which no event has been handed on yet."""
    return f"group-{group_id}"


class LongPoller(VkBotLongPoll):
    """vk_api's Bots Long Poll client with a fetch that leaves `ts` alone. Blocking: call in a thread."""

    def __init__(self, client: VkClient, wait: int) -> None:
        try:
            super().__init__(client.api, client.config.group_id, wait=wait)  # groups.getLongPollServer
        except Exception as exc:
            raise _unavailable("groups.getLongPollServer", exc) from None

    def fetch(self) -> dict[str, Any]:
        values = {"act": "a_check", "key": self.key, "ts": self.ts, "wait": self.wait}
        try:
            response = self.session.get(self.url, params=values, timeout=self.wait + 10)
            response.raise_for_status()
            answer = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise VkUnavailable(f"long poll: {type(exc).__name__}") from None
        if not isinstance(answer, dict):
            raise VkUnavailable("long poll: the answer is not a JSON object")
        return answer

    def renew(self, update_ts: bool) -> None:
        try:
            self.update_longpoll_server(update_ts=update_ts)
        except Exception as exc:
            raise _unavailable("groups.getLongPollServer", exc) from None


def _unavailable(what: str, exc: Exception) -> Exception:
    from vk_api import ApiError

    from channels.vk.api import VkError

    if isinstance(exc, ApiError):
        return VkError(int(exc.code), str(exc.error.get("error_msg", ""))[:500])
    return VkUnavailable(f"{what}: {type(exc).__name__}")
