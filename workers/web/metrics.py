"""GET /metrics (no auth, Prometheus text format): what the channel endpoints of this web process counted,
forged requests above all (a bad secret, token, path or source address)."""

from __future__ import annotations

from collections import Counter

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from workers.channels.registry import counter_labels, webhook_counters

router = APIRouter()
COUNTERS: dict[str, Counter[str]] = webhook_counters()


def exposition(counters: dict[str, Counter[str]]) -> str:
    lines = ["# HELP complaints_channel_requests_total Requests the channel endpoints took, by outcome.",
             "# TYPE complaints_channel_requests_total counter"]
    for channel, counter in sorted(counters.items()):
        for outcome, value in sorted(counter_labels(channel, counter).items()):
            label = outcome.replace("\\", "\\\\").replace('"', '\\"')
            lines.append(f'complaints_channel_requests_total{{channel="{channel}",outcome="{label}"}} {value}')
    return "\n".join(lines) + "\n"


@router.get("/metrics", include_in_schema=False)
async def metrics() -> PlainTextResponse:
    return PlainTextResponse(exposition(COUNTERS), media_type="text/plain; version=0.0.4")
