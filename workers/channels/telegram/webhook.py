"""Telegram Bot API webhook: POST /channels/telegram/webhook (answered only after the durable hand-off)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from channels.base import RawSubmission
from channels.telegram.bot import dispatcher, make_bot
from channels.telegram.metrics import count
from channels.telegram.webhook import MAX_BODY, SECRET_HEADER, handle_webhook, secret_matches
from workers.bus.publish import IntakeUnavailable, hand_off
from workers.bus.shunt import jetstream_of
from workers.channels.telegram.plugin import WEBHOOK_STAGE
from workers.channels.telegram.process import quarantine_update
from workers.web.api.body import body_prefix
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
        await quarantine_update(jetstream_of(broker), config.bot_id, data, reason, WEBHOOK_STAGE)

    # A Bot per request: only a greeting talks to the Bot API here, and its HTTP session is closed after.
    bot = make_bot(config)
    try:
        answer = await handle_webhook(config, header, body, dispatcher(), bot, publish, quarantine)
    except IntakeUnavailable:
        # Not stored: Telegram resends the update later.
        return JSONResponse({"detail": "temporarily unavailable"}, status_code=503)
    finally:
        await bot.session.close()
    return JSONResponse({"detail": answer.text}, status_code=answer.status)
