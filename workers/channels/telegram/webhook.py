"""Telegram Bot API webhook: POST /channels/telegram/webhook (answered only after the durable hand-off)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from channels.base import RawSubmission
from channels.telegram.bot import dispatcher, make_bot
from channels.telegram.webhook import SECRET_HEADER, handle_webhook
from workers.bus.publish import IntakeUnavailable, hand_off
from workers.bus.shunt import jetstream_of
from workers.channels.telegram.plugin import WEBHOOK_STAGE
from workers.channels.telegram.process import quarantine_update

router = APIRouter()


@router.post("/channels/telegram/webhook", include_in_schema=False)
async def telegram_webhook(request: Request) -> Response:
    config = request.app.state.settings.telegram
    if config is None or config.mode != "webhook":
        return JSONResponse({"detail": "not found"}, status_code=404)
    broker = request.app.state.broker
    body = await request.body()

    async def publish(raw: RawSubmission) -> None:
        await hand_off(broker, raw)

    async def quarantine(data: bytes, reason: str) -> None:
        await quarantine_update(jetstream_of(broker), config.bot_id, data, reason, WEBHOOK_STAGE)

    # A Bot per request: only a greeting talks to the Bot API here, and its HTTP session is closed after.
    bot = make_bot(config)
    try:
        answer = await handle_webhook(config, request.headers.get(SECRET_HEADER), body, dispatcher(), bot,
                                      publish, quarantine)
    except IntakeUnavailable:
        # Not stored: Telegram resends the update later.
        return JSONResponse({"detail": "temporarily unavailable"}, status_code=503)
    finally:
        await bot.session.close()
    return JSONResponse({"detail": answer.text}, status_code=answer.status)
