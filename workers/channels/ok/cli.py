"""`complaints ok subscribe URL` / `unsubscribe URL` / `subscriptions`: the group's webhook set-up."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import typer
from pydantic import ValidationError

from channels.ok.api import OkApi, OkError
from channels.ok.config import OkConfig
from workers.app.settings import Settings

ok_app = typer.Typer(help="Одноклассники: подписка вебхука / OK.ru webhook subscription", no_args_is_help=True)

T = TypeVar("T")
WEBHOOK_PATH = "/channels/ok/webhook/"


def _config() -> OkConfig:
    try:
        config = Settings().ok
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        typer.echo(f"Неверные настройки: {problems}", err=True)
        raise typer.Exit(2) from None
    if config is None:
        typer.echo("Канал Одноклассники не настроен: задайте COMPLAINTS_OK (JSON с token и webhook_secret).", err=True)
        raise typer.Exit(2)
    return config


def _call(work: Callable[[OkApi], Awaitable[T]]) -> T:
    config = _config()

    async def run() -> T:
        async with OkApi(config) as api:
            return await work(api)

    try:
        return asyncio.run(run())
    except OkError as exc:
        typer.echo(f"Ошибка API Одноклассников: {exc}", err=True)
        raise typer.Exit(1) from None


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        typer.echo(f"Неверный адрес вебхука: {url!r} (нужен полный URL, https://…)", err=True)
        raise typer.Exit(2)
    if parts.scheme != "https":
        typer.echo("Внимание: Одноклассники отправляют вебхуки только на https-адреса.", err=True)
    if WEBHOOK_PATH not in parts.path:
        typer.echo(f"Внимание: адрес шлюза для OK заканчивается на {WEBHOOK_PATH}<секрет>.", err=True)


def _shown(url: str) -> str:
    """The URL with its secret path segment hidden (it is the webhook's only credential)."""
    head, sep, tail = url.partition(WEBHOOK_PATH)
    return f"{head}{sep}***" if sep and tail else url


def _when(value: Any) -> str:
    if isinstance(value, int | float) and value > 0:
        return datetime.fromtimestamp(value / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC")
    return "—"


@ok_app.command("subscribe")
def subscribe(url: str = typer.Argument(..., help="https://<шлюз>/channels/ok/webhook/<секрет>")) -> None:
    """Подписать вебхук группы на новые сообщения."""
    _check_url(url)
    _call(lambda api: api.subscribe(url))
    typer.echo(f"Вебхук подписан: {_shown(url)}")


@ok_app.command("unsubscribe")
def unsubscribe(url: str = typer.Argument(..., help="Адрес, который был подписан")) -> None:
    """Отписать вебхук группы."""
    _call(lambda api: api.unsubscribe(url))
    typer.echo(f"Вебхук отписан: {_shown(url)}")


@ok_app.command("subscriptions")
def subscriptions() -> None:
    """Показать вебхуки, подписанные на события группы."""
    items = _call(lambda api: api.subscriptions())
    if not items:
        typer.echo("Подписанных вебхуков нет.")
        return
    typer.echo(f"Подписанные вебхуки ({len(items)}):")
    for item in items:
        typer.echo(f"  {_shown(str(item.get('url', '?')))}  (с {_when(item.get('time'))})")
