"""One update, whatever brought it (webhook or getUpdates): validate, dispatch, count.

A complaint returns only after its publish returned (the PubAck): the caller may then answer Telegram
or advance the offset. A bad update raises BadSubmission (the caller quarantines it); a failed publish
raises whatever the publish raised (the caller makes Telegram resend it).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.types import Update
from pydantic import ValidationError

from channels.base import BadSubmission, ChannelUnavailable
from channels.telegram.bot import Publish
from channels.telegram.metrics import count
from channels.telegram.parse import Kind, classify, update_id_of, update_type

log = logging.getLogger("complaints.telegram")


def validated(bot: Bot, raw_update: Any) -> Update:
    update_id_of(raw_update)
    try:
        return Update.model_validate(raw_update, context={"bot": bot})
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors()[:5])
        raise BadSubmission(f"the update does not match the Bot API schema ({fields})") from exc


async def handle_update(dp: Dispatcher, bot: Bot, raw_update: Any, publish: Publish, bot_id: int,
                        received_at: datetime) -> Kind:
    update = validated(bot, raw_update)
    expected = classify(raw_update)
    if expected is Kind.IGNORED:
        # Not even dispatched: aiogram warns on update kinds newer than itself.
        return _ignored(update.update_id, raw_update)
    try:
        result = await dp.feed_update(bot, update, raw_update=raw_update, publish=publish, bot_id=bot_id,
                                      received_at=received_at)
    except (TelegramNetworkError, TelegramServerError, TelegramRetryAfter) as exc:
        # Only the greeting talks to Telegram here: let Telegram resend the update.
        count("greeting_failed")
        raise ChannelUnavailable(f"Bot API: {type(exc).__name__}") from exc
    except BadSubmission:
        raise
    except Exception as exc:
        if expected is Kind.GREETING:
            # Blocked by the client, chat gone...: the greeting is lost, the update is done.
            count("greeting_failed")
            log.warning("telegram: greeting for update %s not sent: %s", update.update_id, type(exc).__name__)
            return Kind.GREETING
        raise
    kind = result if isinstance(result, Kind) else Kind.IGNORED
    if result is UNHANDLED or kind is Kind.IGNORED:
        return _ignored(update.update_id, raw_update)
    count("published" if kind is Kind.COMPLAINT else "greeting")
    return kind


def _ignored(update_id: int, raw_update: dict[str, Any]) -> Kind:
    kind = update_type(raw_update)
    count(f"ignored:{kind}")
    log.info("telegram: update %s (%s) ignored", update_id, kind)
    return Kind.IGNORED
