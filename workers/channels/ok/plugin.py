"""The OK.ru group channel: Bot API webhook or long polling intake, chat replies, webhook subscription CLI."""

from __future__ import annotations

from channels.base import Channel
from normalizer.ok import ok_message
from workers.channels.plugin import ChannelPlugin, IntakeProcess, Ref

WEBHOOK_STAGE = "ok_webhook"  # SHUNT records at the edge, by mode
LONG_POLL_STAGE = "ok_longpoll"

OK = ChannelPlugin(
    Channel.OK,
    "Одноклассники",
    settings_fields=("ok",),
    configured=lambda s: s.ok is not None,
    normalizer_step=ok_message,
    intake=IntakeProcess(Ref("workers.channels.ok.process:OkLongPollProcess"),
                         lambda s: s.ok is not None and s.ok.mode == "longpoll"),
    webhook=Ref("workers.channels.ok.webhook:router"),
    sender=Ref("workers.channels.ok.sender:from_settings"),
    cli=Ref("workers.channels.ok.cli:ok_app"),
    counters=Ref("channels.ok.webhook:METRICS"),
    shunt_stages={
        "ok_intake": "Приём Одноклассники",
        WEBHOOK_STAGE: "Одноклассники (вебхук)",
        LONG_POLL_STAGE: "Одноклассники (long polling)",
    },
)
