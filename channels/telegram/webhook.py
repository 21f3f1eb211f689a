"""The webhook request: secret check first, then the update handled (and published) before the answer.

Not aiogram's background mode: Telegram gets 200 only after the PubAck, so a crash before that makes
Telegram resend the update, and the resend is dropped by JetStream's dedup (Nats-Msg-Id on update_id).
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from aiogram import Bot, Dispatcher

from channels.base import BadSubmission, ChannelUnavailable, WebhookAnswer
from channels.telegram.bot import Publish
from channels.telegram.config import TelegramConfig
from channels.telegram.metrics import count
from channels.telegram.updates import handle_update

log = logging.getLogger("complaints.telegram")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1_000_000  # bytes; Bot API updates are far smaller

Quarantine = Callable[[bytes, str], Awaitable[object]]


def secret_matches(config: TelegramConfig, header: str | None) -> bool:
    expected = config.webhook_secret
    if expected is None or header is None:
        return False
    return hmac.compare_digest(header.encode(), expected.get_secret_value().encode())


async def handle_webhook(config: TelegramConfig, header: str | None, body: bytes, dp: Dispatcher, bot: Bot,
                         publish: Publish, quarantine: Quarantine) -> WebhookAnswer:
    if not secret_matches(config, header):
        count("forged")
        log.warning("telegram: webhook call with %s secret token rejected", "no" if header is None else "a wrong")
        return WebhookAnswer(401, "unauthorized")
    received_at = datetime.now(UTC)
    try:
        if len(body) > MAX_BODY:
            raise BadSubmission(f"the update is larger than {MAX_BODY} bytes")
        try:
            update = json.loads(body)
        except ValueError as exc:
            raise BadSubmission(f"the body is not JSON: {exc}") from exc
        kind = await handle_update(dp, bot, update, publish, config.bot_id, received_at)
    except BadSubmission as exc:
        # Telegram would resend a refused update for 24 h: keep it with the reason, answer 200.
        count("quarantined")
        await quarantine(body[:MAX_BODY], str(exc))
        log.warning("telegram: bad update quarantined: %s", exc)
        return WebhookAnswer(200, "quarantined")
    except ChannelUnavailable as exc:
        return WebhookAnswer(503, str(exc))
    return WebhookAnswer(200, kind.value)
