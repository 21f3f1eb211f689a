"""`complaints telegram set-webhook [URL]` / `delete-webhook`: switch the bot between webhook and polling."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.console import Console

from channels.telegram.config import TelegramConfig
from workers.app.settings import Settings

console = Console()
telegram_app = typer.Typer(help="Telegram: вебхук бота / the bot's webhook", no_args_is_help=True)


def _config() -> TelegramConfig:
    config = Settings().telegram
    if config is None:
        console.print("[red]Канал Telegram не настроен: задайте COMPLAINTS_TELEGRAM.[/red]")
        raise typer.Exit(2)
    return config


@telegram_app.command("set-webhook")
def set_webhook_(
    url: Annotated[str | None, typer.Argument(help="публичный адрес …/channels/telegram/webhook")] = None,
) -> None:
    """Включить вебхук (с секретным токеном из настроек)."""
    from channels.telegram.setup import set_webhook  # aiogram: only for this command, not every worker

    config = _config()
    try:
        asyncio.run(set_webhook(config, url))
    except Exception as exc:  # the Bot API's answer, without the token
        console.print(f"[red]Telegram отказал: {type(exc).__name__}: {exc}[/red]")
        raise typer.Exit(1) from exc
    console.print("Вебхук установлен.")


@telegram_app.command("delete-webhook")
def delete_webhook_() -> None:
    """Снять вебхук (для режима polling); необработанные обновления сохраняются."""
    from channels.telegram.setup import delete_webhook

    config = _config()
    try:
        asyncio.run(delete_webhook(config))
    except Exception as exc:
        console.print(f"[red]Telegram отказал: {type(exc).__name__}: {exc}[/red]")
        raise typer.Exit(1) from exc
    console.print("Вебхук снят.")
