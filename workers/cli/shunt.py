"""`complaints shunt list|show|replay`: the quarantine from the command line."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from nats.js import JetStreamContext
from rich.console import Console
from rich.table import Table

from workers.app.runtime import make_broker, resolve_nats_url
from workers.app.settings import Settings
from workers.bus.shunt import NotReplayable, get_shunted, jetstream_of, list_shunted, replay
from workers.cli import app

shunt_app = typer.Typer(help="Карантин (SHUNT): сообщения, которые не удалось обработать")
app.add_typer(shunt_app, name="shunt")
console = Console()
T = TypeVar("T")


def _with_jetstream(work: Callable[[JetStreamContext], Awaitable[T]]) -> T:
    async def run() -> T:
        broker = make_broker(resolve_nats_url(Settings()))
        await broker.connect()
        try:
            return await work(jetstream_of(broker))
        finally:
            await broker.stop()

    return asyncio.run(run())


@shunt_app.command("list")
def list_(limit: int = 200) -> None:
    """Показать сообщения в карантине."""
    items = _with_jetstream(lambda js: list_shunted(js, limit))
    table = Table("№", "этап", "попыток", "когда", "откуда", "причина")
    for item in items:
        env = item.envelope
        table.add_row(str(item.seq), env.stage, str(env.attempts), env.shunted_at.isoformat(timespec="seconds"),
                      env.origin_subject, env.reason[:120])
    console.print(table if items else "Карантин пуст.")


@shunt_app.command()
def show(seq: int) -> None:
    """Показать одно сообщение целиком (причина, заголовки, тело)."""
    item = _with_jetstream(lambda js: get_shunted(js, seq))
    if item is None:
        console.print(f"[red]Нет сообщения №{seq} в карантине.[/red]")
        raise typer.Exit(1)
    data = item.envelope.model_dump(mode="json", exclude={"data_b64"})
    data["body"] = item.envelope.data.decode("utf-8", "replace")
    console.print_json(json.dumps(data, ensure_ascii=False))


@shunt_app.command("replay")
def replay_(
    seqs: Annotated[list[int] | None, typer.Argument(help="номера сообщений")] = None,
    all_: Annotated[bool, typer.Option("--all", help="все сообщения карантина")] = False,
) -> None:
    """Вернуть сообщение(я) на исходный этап обработки."""

    async def work(js: JetStreamContext) -> list[int]:
        targets = [i.seq for i in await list_shunted(js, 100_000)] if all_ else list(seqs or [])
        for seq in targets:
            await replay(js, seq)
        return targets

    if not seqs and not all_:
        console.print("[red]Укажите номера сообщений или --all.[/red]")
        raise typer.Exit(2)
    try:
        done = _with_jetstream(work)
    except (LookupError, NotReplayable) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"Возвращено на обработку: {len(done)}")
