"""The Telegram bot channel: webhook or getUpdates polling intake, sendMessage replies, webhook CLI."""

from __future__ import annotations

from channels.base import Channel
from normalizer.telegram import telegram_message
from workers.channels.plugin import ChannelPlugin, IntakeProcess, Ref

POLLING_STAGE = "telegram_intake"  # SHUNT records at the edge, by mode
WEBHOOK_STAGE = "telegram_webhook"

TELEGRAM = ChannelPlugin(
    Channel.TELEGRAM,
    "Telegram",
    settings_fields=("telegram",),
    configured=lambda s: s.telegram is not None,
    normalizer_step=telegram_message,
    intake=IntakeProcess(Ref("workers.channels.telegram.process:TelegramPollingProcess"),
                         lambda s: s.telegram is not None and s.telegram.mode == "polling"),
    webhook=Ref("workers.channels.telegram.webhook:router"),
    sender=Ref("workers.channels.telegram.sender:from_settings"),
    cli=Ref("workers.channels.telegram.cli:telegram_app"),
    counters=Ref("channels.telegram.metrics:COUNTERS"),
    shunt_stages={POLLING_STAGE: "Приём Telegram", WEBHOOK_STAGE: "Telegram (вебхук)"},
)
