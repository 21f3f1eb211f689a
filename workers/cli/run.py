"""Commands that run the gateway: up, worker, web, migrate."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
from typing import TYPE_CHECKING, Annotated

import typer
import uvloop
from pydantic import SecretStr
from rich.console import Console
from rich.panel import Panel

from workers.app.heap import settle_heap
from workers.app.logs import setup_logging
from workers.app.runtime import Database, NatsNotRunning
from workers.app.settings import PLACEHOLDER_SESSION_SECRET, Settings
from workers.app.worker_set import WORKER_NAMES, WorkerSet
from workers.channels.registry import INTAKE_NAMES, build_intake
from workers.cli import app
from workers.cli.calendar import log_calendar_coverage

if TYPE_CHECKING:
    import uvicorn
    from fastapi import FastAPI

console = Console(stderr=True)

DEMO_SECRET_FILE = "session_secret"  # under data_dir: the generated secret of --demo, reused by the next one
SECRET_ENV = "COMPLAINTS_SESSION_SECRET"
PLACEHOLDER_REFUSED = (
    f"{SECRET_ENV} не задан: стоит значение по умолчанию, с которым любой может подписать cookie"
    " администратора. Задайте длинное случайное значение"
    " (python3 -c 'import secrets; print(secrets.token_urlsafe(32))') или запустите демо: --demo."
    f" / Refusing to start with the placeholder session secret: set {SECRET_ENV}, or pass --demo."
)


class PlaceholderSessionSecret(Exception):
    """The session secret is the placeholder and this is not a demo."""


def decide_session_secret(settings: Settings, *, demo: bool) -> SecretStr:
    """The secret that signs staff sessions: the configured one; with the placeholder, refused unless `demo`,
    which uses a random secret kept in data_dir (mode 0600) and reused by the next demo start."""
    if settings.session_secret.get_secret_value() != PLACEHOLDER_SESSION_SECRET:
        return settings.session_secret
    if not demo:
        raise PlaceholderSessionSecret(PLACEHOLDER_REFUSED)
    path = settings.data_dir / DEMO_SECRET_FILE
    with contextlib.suppress(FileNotFoundError):
        stored = path.read_text(encoding="ascii").strip()
        if len(stored) >= 32:
            path.chmod(0o600)
            return SecretStr(stored)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(32)
    partial = path.with_name(f".{DEMO_SECRET_FILE}.{os.getpid()}")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(secret + "\n")
    os.replace(partial, path)  # whole or not at all
    return SecretStr(secret)


def _with_session_secret(settings: Settings, *, demo: bool) -> Settings:
    """`settings` with the secret decided above, also handed to child processes; exits 2 on the placeholder."""
    try:
        secret = decide_session_secret(settings, demo=demo)
    except PlaceholderSessionSecret as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    os.environ[SECRET_ENV] = secret.get_secret_value()  # `complaints up` starts `complaints web` with it
    return settings.model_copy(update={"session_secret": secret})


def uvicorn_config(app: FastAPI, settings: Settings) -> uvicorn.Config:
    """The web server: X-Forwarded-For/-Proto believed only from web_trusted_proxies (none by default), so a
    client on loopback cannot pass for another address (uvicorn's own default trusts 127.0.0.1)."""
    import uvicorn

    trusted = ",".join(settings.web_trusted_proxies)
    # uvloop and httptools (uvicorn's "standard" choices): under load the pure-Python event loop and h11
    # parser were a quarter of the web process's CPU per request.
    return uvicorn.Config(app, host=settings.web_host, port=settings.web_port, log_config=None,
                          proxy_headers=bool(trusted), forwarded_allow_ips=trusted, loop="uvloop", http="httptools")


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
    settings = Settings()
    setup_logging(settings.log_level)
    asyncio.run(_migrate(settings, demo=False))
    console.print("[green]Схема базы данных актуальна.[/green]")


class StoppedWhileStarting(Exception):
    """A stop signal came before the workers were running (e.g. while NATS could not be reached)."""


async def _run_workers(settings: Settings, names: tuple[str, ...]) -> None:
    stop = asyncio.Event()
    starting = asyncio.current_task()
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        # Running: stop after the batches in hand. Still starting (connecting to a NATS server that may be
        # gone for good, e.g. stopped with `complaints up`): nothing is in hand, so give up the start at once
        # instead of connecting for ever as an orphan.
        if starting is not None:
            starting.cancel()
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)
    async with contextlib.AsyncExitStack() as running:
        try:
            workers = tuple(name for name in names if name in WORKER_NAMES)
            if workers:
                await running.enter_async_context(WorkerSet(settings, workers))
            for name in names:
                if name in INTAKE_NAMES:
                    await running.enter_async_context(build_intake(name, settings))
        except asyncio.CancelledError as exc:
            raise StoppedWhileStarting from exc
        starting = None
        await stop.wait()


@app.command()
def worker(
    names: Annotated[list[str], typer.Argument(help=f"one or more of: {', '.join(WORKER_NAMES + INTAKE_NAMES)}")],
) -> None:
    """Запустить обработчик(и) очереди / run one or more workers (for scaling out)."""
    settings = Settings()
    setup_logging(settings.log_level)
    known = WORKER_NAMES + INTAKE_NAMES
    unknown = [n for n in names if n not in known]
    if unknown:
        console.print(f"[red]Неизвестный обработчик: {', '.join(unknown)}. Есть: {', '.join(known)}[/red]")
        raise typer.Exit(2)
    try:
        # uvloop: the workers spend much of their time in the event loop (NATS messages, PubAcks, acks).
        uvloop.run(_run_workers(settings, tuple(names)))
    except NatsNotRunning as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    except StoppedWhileStarting as exc:
        console.print(f"[yellow]Обработчик {' '.join(names)} остановлен до того, как запустился.[/yellow]")
        raise typer.Exit(1) from exc


DEMO_SECRET_HELP = "без COMPLAINTS_SESSION_SECRET: случайный секрет сеансов в data_dir / a generated session secret"


@app.command()
def web(demo: Annotated[bool, typer.Option(help=DEMO_SECRET_HELP)] = False) -> None:
    """Запустить веб-интерфейс и REST API / run the web process."""
    import uvicorn

    from workers.web.app import create_app

    settings = _with_session_secret(Settings(), demo=demo)
    setup_logging(settings.log_level)
    server = uvicorn.Server(uvicorn_config(create_app(settings), settings))
    settle_heap()  # everything is imported: frozen out of the full collections that paused requests
    server.run()
    if not server.started:
        raise typer.Exit(3)


@app.command()
def up(
    demo: Annotated[bool, typer.Option(
        help="загрузить демонстрационный справочник; без COMPLAINTS_SESSION_SECRET — случайный секрет сеансов"
        " в data_dir / load the demo directory; a generated session secret unless one is set")] = False,
) -> None:
    """Запустить весь шлюз: NATS, обработчики и веб-интерфейс / run the whole gateway (Ctrl-C stops it)."""
    from workers.app.supervisor import Supervisor

    settings = _with_session_secret(Settings(), demo=demo)
    setup_logging(settings.log_level)
    log_calendar_coverage(settings.calendar)  # moved days unknown for this or next year: say so
    asyncio.run(_migrate(settings, demo))
    url = f"http://{settings.web_host}:{settings.web_port}/"
    hint = "\nДемо-вход: логин [bold]operator1[/bold], пароль [bold]demo[/bold]" if demo else ""
    console.print(Panel(f"Шлюз претензий запускается: {url}{hint}\nОстановить: Ctrl-C", title="complaints up"))
    raise typer.Exit(Supervisor(settings).run())
