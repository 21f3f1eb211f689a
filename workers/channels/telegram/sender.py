"""Replies on Telegram: sendMessage to the chat the complaint came from, long answers split in order.

prepare (first transaction): the chat (reply_to of the submission answered, or the Telegram id of a
client who prefers Telegram: a private chat's id is the user's id) and the parts of the text.
send (no transaction): aiogram Bot against the configured Bot API server. 429 asking for a short
wait is waited out; a longer 429, 5xx and network trouble are temporary (the deliver worker
retries with back-off); 400/403 (chat not found, bot blocked) fail the reply with a history entry.
A reply interrupted after some of its parts went out resumes at the first part not sent when it is
retried in the same process (the progress is kept in memory); after a restart it is sent whole again
(at-least-once: Telegram has no idempotency key). A request that timed out after it went out may have
been posted: that reply is not sent again (it would be a duplicate) but recorded "uncertain" with a history
entry, as the OK sender does; a connection that never opened is retried.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
)
from aiogram.types import ReplyParameters
from aiohttp import ClientConnectorError, ConnectionTimeoutError, ServerDisconnectedError
from sqlalchemy import select
from sqlalchemy.orm import Session

from channels.base import Channel
from channels.split import split_message, utf16_units
from channels.telegram.bot import make_bot
from channels.telegram.config import TelegramConfig
from normalizer.event import ReplyTarget
from router.directory import first_identities
from router.models import Submission
from router.route_lookup import submissions_with
from router.timeutil import utcnow
from workers.app.settings import Settings
from workers.channels.senders.base import DeliveryResult, PlatformSender, Reply, TemporaryFailure
from workers.channels.senders.history import history_row, record_not_sent, write_history

log = logging.getLogger("complaints.senders.telegram")

CHANNEL = Channel.TELEGRAM
TEXT_LIMIT = 4096  # Bot API: 1-4096 characters after entity parsing, counted in UTF-16 code units
DETAIL_MAX = 1000
PROGRESS_MAX = 10_000  # interrupted multi-part replies remembered (outbox id -> parts already sent)
UNCERTAIN = "uncertain"


def maybe_posted(exc: TelegramNetworkError) -> bool:
    """The request went out and no answer came (read timeout, connection dropped): Telegram may have posted
    it. Not when the connection never opened (refused, connect timeout): then nothing was sent."""
    cause = exc.__cause__
    if isinstance(cause, ClientConnectorError | ConnectionTimeoutError):
        return False
    return isinstance(cause, TimeoutError | ServerDisconnectedError)


@dataclass
class TelegramOutgoing:
    reply: Reply
    chat_id: int
    reply_to_message_id: int | None
    parts: list[str]


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _targets(session: Session, replies: Sequence[Reply]) -> dict[tuple[str, str], ReplyTarget]:
    keys = {(r.message.channel, r.message.in_reply_to) for r in replies
            if r.message.channel == CHANNEL and r.message.in_reply_to is not None}
    if not keys:
        return {}
    rows = session.execute(select(Submission.channel, Submission.native_id, Submission.event["reply_to"])
                           .where(submissions_with(keys)))
    return {(channel, native_id): ReplyTarget.model_validate(target) for channel, native_id, target in rows if target}


class TelegramSender:
    resend_safe = False  # no idempotency key: at most once (PlatformSender.resend_safe)
    channel = CHANNEL

    _bot: Bot | None = None
    _bot_loop: asyncio.AbstractEventLoop | None = None

    def __init__(self, config: TelegramConfig) -> None:
        self.config = config
        self._progress: dict[int, int] = {}

    # --- first transaction

    def prepare(self, session: Session, replies: Sequence[Reply]) -> list[TelegramOutgoing | None]:
        targets = _targets(session, replies)
        ids = first_identities(session, {r.client.id for r in replies if r.client is not None}, CHANNEL)
        prepared: list[TelegramOutgoing | None] = []
        for reply in replies:
            message = reply.message
            chat_id: int | None = None
            answered: int | None = None
            target = targets.get((CHANNEL, message.in_reply_to)) if message.in_reply_to else None
            if target is not None:
                chat_id, answered = _int(target.address), _int(target.message_id)
            elif reply.client is not None:  # a client who prefers Telegram: a private chat's id is the user's id
                chat_id = _int(ids.get(reply.client.id))
            parts = split_message(message.text, TEXT_LIMIT, utf16_units)
            item = TelegramOutgoing(reply, chat_id, answered, parts) if chat_id is not None and parts else None
            prepared.append(item)
        return prepared

    # --- no transaction

    async def send(self, prepared: Sequence[TelegramOutgoing]) -> list[DeliveryResult | TemporaryFailure]:
        if not prepared:
            return []
        bot = self._bot_for_this_loop()
        return [await self._send_one(bot, item) for item in prepared]

    def _bot_for_this_loop(self) -> Bot:
        """One Bot (one HTTP session, one TLS context) per event loop, kept between batches: building one costs
        a TLS context, and the deliver worker sends in small chunks (workers.stages.deliver)."""
        loop = asyncio.get_running_loop()
        if self._bot is None or self._bot_loop is not loop:
            self._bot, self._bot_loop = make_bot(self.config), loop
        return self._bot

    async def aclose(self) -> None:
        """Close the kept Bot's HTTP session (the worker stops); the next send, if any, makes a new one."""
        bot, self._bot, self._bot_loop = self._bot, None, None
        if bot is not None:
            await bot.session.close()

    async def _send_one(self, bot: Bot, item: TelegramOutgoing) -> DeliveryResult | TemporaryFailure:
        address = str(item.chat_id)
        outbox_id = item.reply.message.outbox_id
        for number, part in enumerate(item.parts):
            if number < self._progress.get(outbox_id, 0):
                continue  # went out before this reply was interrupted
            reply_to = (ReplyParameters(message_id=item.reply_to_message_id, allow_sending_without_reply=True)
                        if number == 0 and item.reply_to_message_id is not None else None)
            try:
                await self._send_part(bot, item.chat_id, part, reply_to)
                if len(item.parts) > 1:
                    self._remember(outbox_id, number + 1)
            except (TelegramBadRequest, TelegramForbiddenError, TelegramNotFound) as exc:
                log.warning("telegram: reply to chat refused: %s", type(exc).__name__)
                self._progress.pop(outbox_id, None)
                refused = f"Telegram отклонил сообщение: {exc.message}"[:DETAIL_MAX]
                return DeliveryResult("failed", CHANNEL, address, refused)
            except TelegramRetryAfter as exc:
                return TemporaryFailure(f"Telegram: слишком много запросов, повтор через {exc.retry_after} с")
            except TelegramNetworkError as exc:
                if not maybe_posted(exc):
                    return TemporaryFailure(f"Telegram: {type(exc).__name__}: {exc.message}"[:DETAIL_MAX])
                log.warning("telegram: reply for outbox %s may or may not be posted: %s", outbox_id, exc.message)
                self._progress.pop(outbox_id, None)
                part_note = f" (часть {number + 1} из {len(item.parts)})" if len(item.parts) > 1 else ""
                return DeliveryResult(UNCERTAIN, CHANNEL, address, (
                    f"Telegram не ответил вовремя{part_note}: ответ мог быть доставлен, а мог и нет; повторно не "
                    f"отправлялся, проверьте чат ({exc.message})")[:DETAIL_MAX])
            except ClientDecodeError as exc:  # not JSON: a proxy's 502 page in front of the Bot API
                return TemporaryFailure(f"Telegram: ответ не разобран: {type(exc.original).__name__}"[:DETAIL_MAX])
            except TelegramAPIError as exc:  # 5xx, network, our token refused, a response not understood
                return TemporaryFailure(f"Telegram: {type(exc).__name__}: {exc.message}"[:DETAIL_MAX])
        self._progress.pop(outbox_id, None)
        detail = f"частей: {len(item.parts)}" if len(item.parts) > 1 else None
        return DeliveryResult("sent", CHANNEL, address, detail)

    def _remember(self, outbox_id: int, sent: int) -> None:
        self._progress.pop(outbox_id, None)
        while len(self._progress) >= PROGRESS_MAX:
            self._progress.pop(next(iter(self._progress)))
        self._progress[outbox_id] = sent

    async def _send_part(self, bot: Bot, chat_id: int, text: str, reply_to: ReplyParameters | None) -> None:
        try:
            await bot.send_message(chat_id=chat_id, text=text, reply_parameters=reply_to)
        except TelegramRetryAfter as exc:
            if exc.retry_after > self.config.max_inline_retry_after:
                raise
            await asyncio.sleep(exc.retry_after)
            await bot.send_message(chat_id=chat_id, text=text, reply_parameters=reply_to)

    # --- second transaction

    def record(self, session: Session, prepared: Sequence[TelegramOutgoing], results: Sequence[DeliveryResult]) -> None:
        pairs = list(zip(prepared, results, strict=True))
        record_not_sent(session, ((item.reply.ticket_id, result.detail) for item, result in pairs
                                  if result.status not in ("sent", UNCERTAIN)), "в Telegram")
        now = utcnow()
        write_history(session, [
            history_row(item.reply.ticket_id, now, "reply_uncertain",
                        f"Ответ клиенту в Telegram, возможно, не доставлен: {result.detail}")
            for item, result in pairs if result.status == UNCERTAIN
        ])


def from_settings(settings: Settings) -> PlatformSender[Any] | None:
    """The sender when the channel is configured, else None."""
    return TelegramSender(settings.telegram) if settings.telegram is not None else None
