"""OK.ru Bot API webhook: POST /channels/ok/webhook/{secret} (checks and hand-off in channels.ok.webhook)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from channels.base import RawSubmission
from channels.ok.parse import MAX_BODY_BYTES
from channels.ok.webhook import handle_webhook
from workers.bus.publish import hand_off
from workers.bus.shunt import jetstream_of
from workers.channels.ok.plugin import WEBHOOK_STAGE
from workers.channels.ok.process import quarantine_ok
from workers.web.api.body import body_prefix
from workers.web.json_depth import MAX_DEPTH, TOO_DEEP_EN, TOO_DEEP_RU, too_deep

log = logging.getLogger("complaints.ok.webhook")

router = APIRouter()


class _TooDeep(Exception):
    pass


@router.post("/channels/ok/webhook/{secret}", include_in_schema=False)
async def ok_webhook(secret: str, request: Request) -> JSONResponse:
    settings = request.app.state.settings
    broker = request.app.state.broker

    async def publish(raw: RawSubmission) -> bool:
        return bool((await hand_off(broker, raw)).duplicate)

    async def quarantine(reason: str, data: bytes, key: str) -> object:
        if broker is None:
            raise RuntimeError("no broker")
        return await quarantine_ok(jetstream_of(broker), WEBHOOK_STAGE, reason, data, key)

    async def read_body() -> bytes:
        """At most one byte over the cap (the parser then refuses it with the reason); JSON nested too deeply
        for json.loads (a RecursionError) is refused here."""
        body = await body_prefix(request, MAX_BODY_BYTES)
        if len(body) <= MAX_BODY_BYTES and too_deep(body):
            raise _TooDeep
        return body

    peer = request.client.host if request.client else None
    try:
        answer = await handle_webhook(settings.ok, secret, peer, request.headers.get("x-forwarded-for"),
                                      read_body, publish, quarantine)
    except _TooDeep:  # read only once the secret and the source were believed
        log.warning("ok webhook: body nested deeper than %d levels rejected", MAX_DEPTH)
        return JSONResponse({"ok": False, "outcome": "bad request", "error": TOO_DEEP_RU, "error_en": TOO_DEEP_EN},
                            status_code=400)
    return JSONResponse({"ok": answer.status == 200, "outcome": answer.text}, status_code=answer.status)
