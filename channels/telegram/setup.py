"""Set-up calls: register the webhook (with its secret token) or remove it for polling mode."""

from __future__ import annotations

from channels.telegram.bot import make_bot
from channels.telegram.config import TelegramConfig

ALLOWED_UPDATES = ["message", "edited_message"]


async def set_webhook(config: TelegramConfig, url: str | None = None) -> None:
    """setWebhook to the public URL with the secret token Telegram sends back on every call."""
    target = url or config.webhook_url
    if not target:
        raise ValueError("no webhook URL: pass one or set webhook_url")
    if config.webhook_secret is None:
        raise ValueError("webhook_secret is not set")
    async with make_bot(config) as bot:
        await bot.set_webhook(target, secret_token=config.webhook_secret.get_secret_value(),
                              allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False)


async def delete_webhook(config: TelegramConfig) -> None:
    """Back to polling; pending updates are kept (Telegram holds them 24 h)."""
    async with make_bot(config) as bot:
        await bot.delete_webhook(drop_pending_updates=False)
