"""The channel contracts for VK: the Callback API endpoint, the Bots Long Poll intake, the messages.send sender
(against the fake VK API, with the recorded payloads of tests/data/vk)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from channels.positions import PositionStore
from channels.vk.longpoll import TS, ts_key
from channels.vk.parse import parse_event
from normalizer.event import ComplaintEvent
from tests.channels.contract.polling import PollingIntakeContract, Pushed
from tests.channels.contract.sender import SenderContract, Sent, normalized
from tests.channels.contract.webhook import Forgery, Ignored, Malformed, WebhookContract
from tests.channels.vk.conftest import CONFIRMATION, DATA, GROUP_ID, SECRET, event, lp_event, vk_config
from tests.support.fake_vk import FakeVk
from workers.app.settings import Settings
from workers.channels.vk.process import VkLongPollProcess
from workers.channels.vk.sender import VkSender


def as_sent(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()


def without_secret(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "secret"}


NO_PEER = event("message_new", object={"message": {"text": "нет peer_id"}})


class TestVkWebhook(WebhookContract):
    CHANNEL = "vk"
    SHUNT_STAGE = "vk_intake"
    NATIVE_ID = f"{GROUP_ID}:3f1c0a9b1e2d4c5f6a7b8c9d0e1f2a3b4c5d6e7f"
    SECRETS = (SECRET.encode(), CONFIRMATION.encode())
    # VK reads the body byte for byte: "ok" and nothing else (no BOM), whatever became of the event.
    ACCEPTED = DUPLICATE = QUARANTINED = IGNORED = (200, "ok")
    UNAVAILABLE = (503, "temporarily unavailable")
    OVERSIZE = (413, "too large")
    OVERSIZE_REASON = None
    OVERSIZE_OUTCOME = "forged_too_large"
    FORGERIES = (
        Forgery("wrong_secret", 403, "forged", (DATA / "wrong_secret.json").read_bytes()),
        Forgery("missing_secret", 403, "forged", (DATA / "missing_secret.json").read_bytes()),
        Forgery("wrong_group", 403, "forged", (DATA / "wrong_group.json").read_bytes()),
        # A forged confirmation request does not get the confirmation string either (SECRETS).
        Forgery("forged_confirmation", 403, "forged", as_sent(event("confirmation", secret="guess"))),
        Forgery("unreadable", 403, "forged", b"\xff\xfe not json"),
    )
    MALFORMED = (Malformed("no_peer_id", as_sent(NO_PEER), "peer_id", as_sent(without_secret(NO_PEER))),)
    OTHER_KINDS = tuple(Ignored(name, as_sent(event(name)), f"ignored_{event(name)['type']}")
                        for name in ("unknown_type", "message_typing_state"))

    @pytest.fixture
    def channel_settings(self, vk_settings: Settings) -> Settings:
        return vk_settings

    def valid_payload(self) -> bytes:
        return (DATA / "message_new.json").read_bytes()

    def stored_payload(self, body: bytes) -> dict[str, Any]:
        return without_secret(json.loads(body))

    async def post(self, client: httpx.AsyncClient, body: bytes) -> httpx.Response:
        return await client.post("/channels/vk/callback", content=body, headers={"Content-Type": "application/json"})

    def forged_payloads(self, forgery: Forgery) -> list[bytes]:
        return [forgery.data]

    async def post_forged(self, forgery: Forgery, body: bytes) -> httpx.Response:
        return await self.post(self.client, body)

    def answer(self, response: httpx.Response) -> tuple[int, str]:
        return response.status_code, response.content.decode("utf-8")

    def elsewhere(self, settings: Settings) -> list[Settings]:
        assert settings.vk is not None
        return [settings.model_copy(update={"vk": None}),
                settings.model_copy(update={"vk": settings.vk.model_copy(update={"mode": "longpoll"})})]

    def said_to_platform(self) -> list[Any]:
        return [*self.server.messages, *self.server.comments]


class TestVkLongPoll(PollingIntakeContract):
    SHUNT_STAGE = "vk_intake"
    BAD_REASON = "peer_id"

    @pytest.fixture
    def intake_settings(self, settings: Settings, fake_vk: FakeVk) -> Settings:
        return settings.model_copy(update={"vk": vk_config(fake_vk, mode="longpoll")})

    def make_intake(self) -> VkLongPollProcess:
        return VkLongPollProcess(self.settings, self.nats_url)

    def _queue(self, body: dict[str, Any], native_id: str | None) -> Pushed:
        self.server.push_event(body)
        return Pushed(native_id, str(len(self.server.events)), body)  # ts: how many events VK has served

    async def push(self) -> Pushed:
        n = next(self.numbers)
        return self._queue(lp_event(n), f"{GROUP_ID}:{n:040x}")

    async def push_bad(self) -> Pushed:
        body = lp_event(next(self.numbers))
        body["object"]["message"] = {"text": "нет peer_id"}
        return self._queue(body, None)

    async def saved_position(self) -> Any:
        return await (await PositionStore.open(self.js, TS)).load(ts_key(GROUP_ID))

    async def rewind(self, position: Any, pushed: list[Pushed]) -> None:
        await (await PositionStore.open(self.js, TS)).save(ts_key(GROUP_ID), position)

    async def polling(self) -> bool:
        return len(self.server.polls) >= 1


class TestVkSender(SenderContract):
    CHANNEL = "vk"
    CONVERSATION = "510001"
    REPLY_TO = "41"
    WHERE = "ВКонтакте"
    SPLIT_LIMIT = 4000  # VK takes 4096 characters
    REPEAT = "key"  # random_id: VK drops a message it already has

    def make_sender(self) -> VkSender:
        return VkSender(vk_config(self.server))

    def complaint(self) -> ComplaintEvent:
        parsed = parse_event(event("message_new"), GROUP_ID, datetime.now(UTC))
        assert parsed.raw is not None
        return normalized(parsed.raw)

    def sent(self) -> list[Sent]:
        return [Sent(m["peer_id"], m["message"], m.get("reply_to"), m["random_id"]) for m in self.server.messages]

    def attempts(self) -> int:
        return len(self.server.calls_to("messages.send"))

    def keys(self) -> list[str]:
        return [call.params["random_id"] for call in self.server.calls_to("messages.send")]

    def expected_key(self, outbox_id: int, ticket_number: str) -> str | None:
        return str(outbox_id)

    def fail_for_a_while(self) -> tuple[int, int]:
        for code in (6, 9, 29):  # rate limits: 6 is waited out in the batch, 9 and 29 come back with back-off
            self.server.fail("messages.send", code)
        return 2, 4

    def fail_for_good(self) -> tuple[str, ...]:
        self.server.fail("messages.send", 902)  # the user's privacy settings
        return ("902",)
