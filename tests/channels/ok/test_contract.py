"""The channel contracts for OK.ru: the webhook endpoint, the long-polling intake, the messages sender
(against the fake OK Graph API, with the recorded payloads of tests/data/ok)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from channels.ok import parse
from channels.ok.config import OkConfig
from channels.ok.longpoll import MARKER_KEY, MARKERS
from channels.positions import PositionStore
from normalizer.event import ComplaintEvent
from router.models import Delivery
from tests.channels.contract.polling import PollingIntakeContract, Pushed
from tests.channels.contract.sender import SenderContract, Sent, normalized
from tests.channels.contract.webhook import Forgery, Ignored, Malformed, WebhookContract
from tests.channels.ok.conftest import OK_SOURCE, SECRET, body, payload, post_webhook, seed_with_ok_identity
from workers.app.runtime import Database
from workers.app.settings import Settings
from workers.channels.ok.process import OkLongPollProcess
from workers.channels.ok.sender import OkSender

CHAT = "chat:C3ed8b7c6a8ff"


class TestOkWebhook(WebhookContract):
    CHANNEL = "ok"
    SHUNT_STAGE = "ok_webhook"
    NATIVE_ID = "mid:C3ed8b7c6a8ff.16ade4d4b28"
    SECRETS = (SECRET.encode(),)
    SOURCE = OK_SOURCE  # inside OK's published networks
    ACCEPTED = (200, "accepted")
    DUPLICATE = (200, "duplicate")
    UNAVAILABLE = (503, "unavailable")
    QUARANTINED = (200, "quarantined")  # OK resending it would not make it better
    IGNORED = (200, "ignored")
    OVERSIZE = (200, "quarantined")
    OVERSIZE_REASON = "больше"
    OVERSIZE_OUTCOME = "quarantined"
    FORGERIES = (  # data: (the secret path segment, the client address)
        Forgery("wrong_secret", 404, "forged_secret", ("wrong-secret-0123456789abcdef", OK_SOURCE)),
        Forgery("no_secret", 404, None, ("", OK_SOURCE)),  # no path segment at all: no route
        Forgery("foreign_source", 403, "forged_source", (SECRET, ("203.0.113.7", 5000))),
        Forgery("next_to_ok", 403, "forged_source", (SECRET, ("217.20.145.208", 5000))),  # outside .192/28
    )
    MALFORMED = tuple(Malformed(name, body(name), reason, body(name)) for name, reason in (
        ("unknown_type.json", "неизвестный тип события OK 'CHAT_PINNED_MESSAGE'"),
        ("malformed_no_mid.json", "message.mid"),
        ("not_json.txt", "не JSON"),
    ))
    OTHER_KINDS = tuple(Ignored(name, body(name), f"ignored:{json.loads(body(name))['webhookType']}")
                        for name in ("chat_system.json", "message_callback.json"))

    @pytest.fixture
    def channel_settings(self, settings: Settings) -> Settings:
        return settings

    def valid_payload(self) -> bytes:
        return body("message_created.json")

    async def post(self, client: httpx.AsyncClient, body: bytes) -> httpx.Response:
        return await post_webhook(client, body)

    async def post_forged(self, forgery: Forgery, body: bytes) -> httpx.Response:
        secret, source = forgery.data
        async with self.client_for(self.settings, source) as client:
            return await post_webhook(client, body, secret=secret)

    def answer(self, response: httpx.Response) -> tuple[int, str]:
        return response.status_code, response.json()["outcome"]

    def elsewhere(self, settings: Settings) -> list[Settings]:
        assert settings.ok is not None
        return [settings.model_copy(update={"ok": None}),
                settings.model_copy(update={"ok": settings.ok.model_copy(update={"mode": "longpoll"})})]

    def said_to_platform(self) -> list[Any]:
        return list(self.server.posted)


@pytest.mark.ok_config(mode="longpoll", webhook_secret=None, poll_wait=0.2)
class TestOkLongPoll(PollingIntakeContract):
    SHUNT_STAGE = "ok_longpoll"
    BAD_REASON = "неизвестный тип события OK 'CHAT_PINNED_MESSAGE'"

    @pytest.fixture
    def intake_settings(self, settings: Settings) -> Settings:
        return settings

    def make_intake(self) -> OkLongPollProcess:
        return OkLongPollProcess(self.settings, self.nats_url)

    def _queue(self, update: dict[str, Any], native_id: str | None) -> Pushed:
        self.server.push_update(update)
        return Pushed(native_id, str(len(self.server.updates)), update)  # the marker: updates served so far

    async def push(self) -> Pushed:
        update = payload("message_created.json")
        mid = f"mid:C3ed8b7c6a8ff.{next(self.numbers):011x}"
        update["message"]["mid"] = mid
        return self._queue(update, mid)

    async def push_bad(self) -> Pushed:
        return self._queue(payload("unknown_type.json"), None)

    async def saved_position(self) -> Any:
        return await (await PositionStore.open(self.js, MARKERS)).load(MARKER_KEY)

    async def rewind(self, position: Any, pushed: list[Pushed]) -> None:
        await (await PositionStore.open(self.js, MARKERS)).save(MARKER_KEY, position)

    async def polling(self) -> bool:
        return await self.saved_position() is not None  # the first round is done


class TestOkSender(SenderContract):
    CHANNEL = "ok"
    CONVERSATION = CHAT
    REPLY_TO = None
    WHERE = "Одноклассниках"
    SPLIT_LIMIT = None
    REPEAT = "uncertain"  # OK has no idempotency key
    MANAGER = "m.petrova"  # Ivanov's, known by his OK id (seed)

    def make_sender(self) -> OkSender:
        return OkSender(OkConfig.model_validate({"token": self.server.token, "api_base": self.server.base_url,
                                                 "webhook_secret": SECRET, "send_timeout": 0.5}))

    async def seed(self, database: Database) -> None:
        await seed_with_ok_identity(database)  # the sender of message_created.json is a known client

    def complaint(self) -> ComplaintEvent:
        return normalized(parse.parse_message(payload("message_created.json")))

    def sent(self) -> list[Sent]:
        return [Sent(m["chat_id"], m["text"]) for m in self.server.posted]

    def attempts(self) -> int:
        return len(self.server.calls_to("/graph/me/messages/", "POST"))

    def fail_for_a_while(self) -> tuple[int, int]:
        self.server.then("status:503", "error:2")  # HTTP 503, then OK's "service unavailable" code
        return 2, 3

    def fail_for_good(self) -> tuple[str, ...]:
        self.server.then("status:400")
        return ("HTTP 400",)

    def answer_too_late(self) -> None:
        self.server.then("delay:3")  # posted, but the answer comes after the 0.5 s send timeout

    async def check_own_records(self, outbox_id: int, status: str) -> None:
        if status == "sent":
            [delivery] = await self.rows(Delivery, Delivery.outbox_id == outbox_id)
            assert delivery.detail and delivery.detail.startswith("mid:")  # the id OK gave the message
