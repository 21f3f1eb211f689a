"""OK.ru Bot API webhook: POST /channels/ok/webhook/{secret} (checks and hand-off in channels.ok.webhook)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from channels.base import RawSubmission
from channels.ok.parse import MAX_BODY_BYTES
from channels.ok.webhook import handle_webhook
from workers.bus.publish import hand_off
from workers.bus.shunt import jetstream_of
from workers.channels.ok.plugin import WEBHOOK_STAGE
from workers.channels.ok.process import quarantine_ok

router = APIRouter()



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
        """At most one byte over the cap (the parser then refuses it with the reason)."""
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                break
        return b"".join(chunks)[:MAX_BODY_BYTES + 1]

    peer = request.client.host if request.client else None
    answer = await handle_webhook(settings.ok, secret, peer, request.headers.get("x-forwarded-for"), read_body,
                                  publish, quarantine)
    return JSONResponse({"ok": answer.status == 200, "outcome": answer.text}, status_code=answer.status)
