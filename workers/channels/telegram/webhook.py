"""Telegram Bot API webhook: POST /channels/telegram/webhook (answered only after the durable hand-off)."""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response

from channels.base import RawSubmission
from channels.telegram.bot import dispatcher, make_bot
from channels.telegram.config import TelegramConfig
from channels.telegram.metrics import count
from channels.telegram.webhook import MAX_BODY, SECRET_HEADER, handle_webhook, secret_matches
from workers.bus.publish import PUBLISH_TIMEOUT, IntakeUnavailable, hand_off
from workers.bus.shunt import jetstream_of
from workers.channels.telegram.plugin import WEBHOOK_STAGE
from workers.channels.telegram.process import quarantine_update
from workers.web.api.body import body_prefix
from workers.web.closing import on_close
from workers.web.json_depth import TOO_DEEP_EN, TOO_DEEP_RU, too_deep

log = logging.getLogger("complaints.telegram")

router = APIRouter()


@router.post("/channels/telegram/webhook", include_in_schema=False)
async def telegram_webhook(request: Request) -> Response:
    config = request.app.state.settings.telegram
    if config is None or config.mode != "webhook":
        return JSONResponse({"detail": "not found"}, status_code=404)
    header = request.headers.get(SECRET_HEADER)
    if not secret_matches(config, header):
        # Before a byte of the body is read: a stranger cannot make the process hold anything.
        count("forged")
        log.warning("telegram: webhook call with %s secret token rejected", "no" if header is None else "a wrong")
        return JSONResponse({"detail": "unauthorized"}, status_code=401)
    broker = request.app.state.broker
    # Read no further than one byte over the cap: handle_webhook quarantines a longer update with the reason.
    body = await body_prefix(request, MAX_BODY)
    if len(body) <= MAX_BODY and too_deep(body):
        # json.loads would end in a RecursionError; no update from Telegram nests like this.
        log.warning("telegram: webhook body nested too deeply rejected")
        return JSONResponse({"detail": "bad request", "error": TOO_DEEP_RU, "error_en": TOO_DEEP_EN},
                            status_code=400)

    async def publish(raw: RawSubmission) -> None:
        await hand_off(broker, raw)

    async def quarantine(data: bytes, reason: str) -> None:
        try:  # the same time limit as a publish: with NATS away, an answer Telegram retries, not a hung request
            await asyncio.wait_for(quarantine_update(jetstream_of(broker), config.bot_id, data, reason, WEBHOOK_STAGE),
                                   PUBLISH_TIMEOUT)
        except Exception as exc:  # any failure means the SHUNT record was not stored
            log.warning("telegram: bad update not recorded: %s", type(exc).__name__)
            raise IntakeUnavailable("quarantine") from exc

    try:
        answer = await handle_webhook(config, header, body, dispatcher(), _bot(request.app, config), publish,
                                      quarantine)
    except IntakeUnavailable:
        # Not stored: Telegram resends the update later.
        return JSONResponse({"detail": "temporarily unavailable"}, status_code=503)
    return JSONResponse({"detail": answer.text}, status_code=answer.status)


def _bot(app: FastAPI, config: TelegramConfig) -> Bot:
    """One Bot per web process, closed with the app: building one costs a TLS context (a few ms of CPU and
    about a megabyte each), which a Bot per update paid on every request."""
    bot: Bot | None = getattr(app.state, "telegram_bot", None)
    if bot is None:
        bot = app.state.telegram_bot = make_bot(config)
        on_close(app, bot.session.close)
    return bot
