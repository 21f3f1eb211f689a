"""Commands that run the gateway: up, worker, web, migrate."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from typing import Annotated

import typer
from rich.console import Console
from rich.panel import Panel

from workers.app.logs import setup_logging
from workers.app.runtime import Database, NatsNotRunning
from workers.app.settings import Settings
from workers.app.worker_set import WORKER_NAMES, WorkerSet
from workers.channels.registry import INTAKE_NAMES, build_intake
from workers.cli import app
from workers.cli.calendar import log_calendar_coverage

console = Console(stderr=True)


async def _migrate(settings: Settings, demo: bool) -> None:
    database = Database.from_settings(settings)
    try:
        await database.migrate()
        if demo:
            from workers.app.demo import load_demo

            report = await load_demo(database)
            console.print(report.summary())
            if not report.ok:
                raise typer.Exit(1)
    finally:
        await database.close()


@app.command()
def migrate() -> None:
    """Создать или обновить схему базы данных / apply database migrations."""
    setup_logging()
    asyncio.run(_migrate(Settings(), demo=False))
    console.print("[green]Схема базы данных актуальна.[/green]")


async def _run_workers(settings: Settings, names: tuple[str, ...]) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with contextlib.AsyncExitStack() as running:
        workers = tuple(name for name in names if name in WORKER_NAMES)
        if workers:
            await running.enter_async_context(WorkerSet(settings, workers))
        for name in names:
            if name in INTAKE_NAMES:
                await running.enter_async_context(build_intake(name, settings))
        await stop.wait()


@app.command()
def worker(
    names: Annotated[list[str], typer.Argument(help=f"one or more of: {', '.join(WORKER_NAMES + INTAKE_NAMES)}")],
) -> None:
    """Запустить обработчик(и) очереди / run one or more workers (for scaling out)."""
    setup_logging()
    known = WORKER_NAMES + INTAKE_NAMES
    unknown = [n for n in names if n not in known]
    if unknown:
        console.print(f"[red]Неизвестный обработчик: {', '.join(unknown)}. Есть: {', '.join(known)}[/red]")
        raise typer.Exit(2)
    try:
        asyncio.run(_run_workers(Settings(), tuple(names)))
    except NatsNotRunning as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc


@app.command()
def web() -> None:
    """Запустить веб-интерфейс и REST API / run the web process."""
    import uvicorn

    from workers.web.app import create_app

    setup_logging()
    settings = Settings()
    uvicorn.run(create_app(settings), host=settings.web_host, port=settings.web_port, log_config=None)


@app.command()
def up(
    demo: Annotated[bool, typer.Option(help="загрузить демонстрационный справочник / load the demo directory")] = False,
) -> None:
    """Запустить весь шлюз: NATS, обработчики и веб-интерфейс / run the whole gateway (Ctrl-C stops it)."""
    from workers.app.supervisor import Supervisor

    setup_logging()
    settings = Settings()
    log_calendar_coverage(settings.calendar)  # moved days unknown for this or next year: say so
    asyncio.run(_migrate(settings, demo))
    url = f"http://{settings.web_host}:{settings.web_port}/"
    hint = "\nДемо-вход: логин [bold]operator1[/bold], пароль [bold]demo[/bold]" if demo else ""
    console.print(Panel(f"Шлюз претензий запускается: {url}{hint}\nОстановить: Ctrl-C", title="complaints up"))
    raise typer.Exit(Supervisor(settings).run())
