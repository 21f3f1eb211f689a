"""GET /metrics (no auth, Prometheus text format): what the channel endpoints of this web process counted,
forged requests above all (VK bad secret or group, OK bad path or source address, Telegram bad token)."""

from __future__ import annotations

from collections import Counter

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from channels.ok.webhook import METRICS as OK_WEBHOOK
from channels.telegram.metrics import COUNTERS as TELEGRAM
from channels.vk.callback import METRICS as VK_CALLBACK

router = APIRouter()
COUNTERS: dict[str, Counter[str]] = {"vk": VK_CALLBACK, "ok": OK_WEBHOOK, "telegram": TELEGRAM}


def exposition(counters: dict[str, Counter[str]]) -> str:
    lines = ["# HELP complaints_channel_requests_total Requests the channel endpoints took, by outcome.",
             "# TYPE complaints_channel_requests_total counter"]
    for channel, counter in sorted(counters.items()):
        for outcome, value in sorted(counter.items()):
            label = outcome.replace("\\", "\\\\").replace('"', '\\"')
            lines.append(f'complaints_channel_requests_total{{channel="{channel}",outcome="{label}"}} {value}')
    return "\n".join(lines) + "\n"


@router.get("/metrics", include_in_schema=False)
async def metrics() -> PlainTextResponse:
    return PlainTextResponse(exposition(COUNTERS), media_type="text/plain; version=0.0.4")
