"""The channel contracts for Telegram: the webhook endpoint, the getUpdates polling intake, the sendMessage
sender (against the fake Bot API, with the recorded updates of tests/data/telegram)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from channels.telegram.parse import raw_submission
from normalizer.event import ComplaintEvent
from tests.channels.contract.polling import PollingIntakeContract, Pushed
from tests.channels.contract.sender import SenderContract, Sent, normalized
from tests.channels.contract.webhook import Forgery, Ignored, Malformed, WebhookContract
from tests.channels.telegram.conftest import (
    CLIENT_CHAT,
    DATA,
    SECRET,
    TOKEN,
    load,
    post_update,
    telegram_config,
    with_update_id,
)
from tests.support.fake_telegram import FakeTelegram, form_json
from workers.app.settings import Settings
from workers.channels.telegram.process import TelegramPollingProcess
from workers.channels.telegram.sender import TelegramSender

BOT_ID = int(TOKEN.split(":")[0])


def recorded(name: str) -> bytes:
    return (DATA / f"{name}.json").read_bytes()


NO_ID = b'{"message": {"text": "no id"}}'
NO_DATE = json.dumps(load("malformed_no_date")).encode()


class TestTelegramWebhook(WebhookContract):
    CHANNEL = "telegram"
    SHUNT_STAGE = "telegram_webhook"
    NATIVE_ID = f"{BOT_ID}:900000001"
    SECRETS = (SECRET.encode(), TOKEN.encode())
    ACCEPTED = DUPLICATE = (200, "complaint")
    UNAVAILABLE = (503, "temporarily unavailable")
    QUARANTINED = (200, "quarantined")  # else Telegram would resend it for 24 hours
    IGNORED = (200, "ignored")
    OVERSIZE = (200, "quarantined")
    OVERSIZE_REASON = "larger than"
    OVERSIZE_OUTCOME = "quarantined"
    ACCEPTED_OUTCOME = "published"
    DUPLICATE_OUTCOME = None
    UNAVAILABLE_OUTCOME = None
    FORGERIES = tuple(Forgery(name, 401, "forged", token) for name, token in (
        ("none", None), ("empty", ""), ("wrong", "wrong-secret"), ("longer", SECRET + "x"), ("upper", SECRET.upper())))
    MALFORMED = (
        Malformed("not_json", b"{not json", "not JSON", b"{not json", deduplicated=False),
        Malformed("no_update_id", NO_ID, "update_id", NO_ID, deduplicated=False),  # nothing to know a resend by
        Malformed("schema", NO_DATE, "schema", NO_DATE),
    )
    OTHER_KINDS = tuple(Ignored(name, recorded(name), f"ignored:{next(k for k in load(name) if k != 'update_id')}")
                        for name in ("edited_message", "channel_post", "group_message", "my_chat_member", "sticker",
                                     "unknown_kind"))

    @pytest.fixture
    def channel_settings(self, tg_settings: Settings) -> Settings:
        return tg_settings

    def valid_payload(self) -> bytes:
        return recorded("text_message")

    async def post(self, client: httpx.AsyncClient, body: bytes) -> httpx.Response:
        return await post_update(client, body)

    def forged_payloads(self, forgery: Forgery) -> list[bytes]:
        return [recorded("text_message"), recorded("start")]  # a forged /start does not make the bot talk

    async def post_forged(self, forgery: Forgery, body: bytes) -> httpx.Response:
        return await post_update(self.client, body, secret=forgery.data)

    def answer(self, response: httpx.Response) -> tuple[int, str]:
        return response.status_code, response.json()["detail"]

    def elsewhere(self, settings: Settings) -> list[Settings]:
        assert settings.telegram is not None
        return [settings.model_copy(update={"telegram": None}),
                settings.model_copy(update={"telegram": settings.telegram.model_copy(update={"mode": "polling"})})]

    def said_to_platform(self) -> list[Any]:
        return list(self.server.sent())


class TestTelegramPolling(PollingIntakeContract):
    SHUNT_STAGE = "telegram_intake"
    BAD_REASON = "schema"

    @pytest.fixture
    def intake_settings(self, settings: Settings, fake: FakeTelegram) -> Settings:
        return settings.model_copy(update={"telegram": telegram_config(fake, mode="polling", webhook_secret=None)})

    def make_intake(self) -> TelegramPollingProcess:
        return TelegramPollingProcess(self.settings, self.nats_url)

    def _queue(self, name: str, native: bool) -> Pushed:
        update_id = 900000100 + next(self.numbers)
        update = with_update_id(load(name), update_id)
        self.server.queue(update)
        # The position is Telegram's: the offset it was last asked for confirms every update below it.
        return Pushed(f"{BOT_ID}:{update_id}" if native else None, update_id + 1, update)

    async def push(self) -> Pushed:
        return self._queue("text_message", True)

    async def push_bad(self) -> Pushed:
        return self._queue("malformed_no_date", False)

    async def saved_position(self) -> Any:
        return self.server.confirmed_offset

    async def rewind(self, position: Any, pushed: list[Pushed]) -> None:
        # The confirmation was lost: Telegram serves these again.
        self.server.updates[:0] = [p.queued for p in pushed]

    async def polling(self) -> bool:
        return len(self.server.called("getUpdates")) >= 1


class TestTelegramSender(SenderContract):
    CHANNEL = "telegram"
    CONVERSATION = str(CLIENT_CHAT)
    REPLY_TO = "101"
    WHERE = "Telegram"
    SPLIT_LIMIT = 4096  # the Bot API's limit per message
    REPEAT = None  # no idempotency key: at least once (a reply interrupted mid-parts resumes: test_sender.py)

    def make_sender(self) -> TelegramSender:
        return TelegramSender(telegram_config(self.server))

    def complaint(self) -> ComplaintEvent:
        return normalized(raw_submission(BOT_ID, load("text_message"), datetime.now(UTC)))

    def sent(self) -> list[Sent]:
        found = []
        for message in self.server.sent():
            quoted = form_json(message, "reply_parameters") if "reply_parameters" in message else None
            found.append(Sent(str(message["chat_id"]), message["text"],
                              str(quoted["message_id"]) if quoted else None))
        return found

    def attempts(self) -> int:
        return len(self.server.called("sendMessage"))

    def fail_for_a_while(self) -> tuple[int, int]:
        self.server.fail("sendMessage", 500, "Internal Server Error")
        self.server.fail("sendMessage", 429, "Too Many Requests: retry after 60", retry_after=60)
        return 2, 3

    def fail_for_good(self) -> tuple[str, ...]:
        self.server.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
        return ("bot was blocked by the user",)
