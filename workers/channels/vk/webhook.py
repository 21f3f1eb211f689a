"""VK Callback API endpoint: POST /channels/vk/callback (404 when the VK channel is not configured)."""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from channels.base import RawSubmission, WebhookAnswer
from channels.vk.callback import MAX_BODY, METRICS, Unavailable, handle_callback
from workers.app.settings import Settings
from workers.bus.publish import PUBLISH_TIMEOUT, IntakeUnavailable, hand_off
from workers.bus.shunt import jetstream_of
from workers.channels.vk.process import record_bad_event
from workers.web.api.body import capped_body
from workers.web.json_depth import MAX_DEPTH, TOO_DEEP_EN, TOO_DEEP_RU, too_deep

log = logging.getLogger("complaints.vk.callback")

router = APIRouter(tags=["vk"])


class _TooLarge(Exception):
    pass


async def _body(request: Request) -> bytes | None:
    """The body, or None when it is larger than any VK event (read no further than the cap, and not at all
    when its Content-Length says so)."""
    try:
        return await capped_body(request, MAX_BODY, _TooLarge())
    except _TooLarge:
        return None


@router.post("/channels/vk/callback", include_in_schema=False)
async def vk_callback(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    config = settings.vk
    if config is None or config.mode != "callback":
        return PlainTextResponse("not found", status_code=404)
    data = await _body(request)
    if data is None:
        METRICS["forged"] += 1
        METRICS["forged_too_large"] += 1
        log.warning("vk callback: body over %d bytes rejected", MAX_BODY)
        return PlainTextResponse("too large", status_code=413)
    if too_deep(data):
        # Measured before json.loads (which would end in a RecursionError), so before the secret in the body.
        log.warning("vk callback: body nested deeper than %d levels rejected", MAX_DEPTH)
        return PlainTextResponse(f"bad request: {TOO_DEEP_EN} / {TOO_DEEP_RU}", status_code=400)
    broker = request.app.state.broker

    async def publish(raw: RawSubmission) -> bool:
        try:
            return bool((await hand_off(broker, raw)).duplicate)
        except IntakeUnavailable as exc:  # no PubAck: nothing was accepted, VK must resend
            raise Unavailable(raw.native_id) from exc

    async def quarantine(body: bytes, native_id: str, reason: str) -> None:
        try:  # the same time limit as a publish: with NATS away, an answer VK retries, not a hung request
            await asyncio.wait_for(record_bad_event(jetstream_of(broker), body, native_id, reason), PUBLISH_TIMEOUT)
        except Exception as exc:  # any failure means the SHUNT record was not stored
            log.warning("vk callback: bad event %s not recorded: %s", native_id, type(exc).__name__)
            raise Unavailable(native_id) from exc

    answer: WebhookAnswer = await handle_callback(config, data, publish, quarantine,
                                           retry_counter=request.headers.get("X-Retry-Counter"))
    # Plain text without a BOM: VK reads the body byte for byte.
    return PlainTextResponse(answer.text, status_code=answer.status)
