"""`complaints clients …` and `complaints staff …`: load the directory from CSV, look clients up, set passwords."""

from __future__ import annotations

import asyncio
import csv
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from channels.phone import phone_filing_allowed
from router.directory import find_clients, staff_by_login
from router.directory_import import IDENTITY_LABELS, ImportReport, import_clients, import_staff, set_password
from router.models import Staff
from workers.app.labels import BUILDING_TITLES, ROLE_TITLES, SEGMENT_TITLES
from workers.app.runtime import Database
from workers.app.settings import Settings
from workers.cli import app

clients_app = typer.Typer(help="Справочник клиентов / client directory", no_args_is_help=True)
staff_app = typer.Typer(help="Сотрудники / staff", no_args_is_help=True)
app.add_typer(clients_app, name="clients")
app.add_typer(staff_app, name="staff")

PHASES = {"check": "Проверка строк", "write": "Запись в базу"}
SHOWN_PROBLEMS = 200  # rows of the errors (and of the warnings) table printed; --errors-file has them all

T = TypeVar("T")
Sessions = async_sessionmaker[AsyncSession]


def _console() -> Console:
    # Created per call so a test runner's captured stdout is the one written to.
    return Console(highlight=False, soft_wrap=True)


def _with_database(work: Callable[[Sessions], Awaitable[T]]) -> T:
    async def run() -> T:
        database = Database.from_settings(Settings())
        try:
            await database.migrate()
            return await work(database.sessions)
        finally:
            await database.close()

    return asyncio.run(run())


Importer = Callable[..., Awaitable[ImportReport]]


def _run_import(importer: Importer, file: Path, title: str, errors_file: Path | None) -> None:
    console = _console()
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def on_progress(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(PHASES.get(phase, phase), total=total or 1)
            bar.update(tasks[phase], completed=done if total else 1, total=total or 1)

        report = _with_database(lambda sessions: importer(sessions, file, progress=on_progress))
    if errors_file is not None:
        try:
            write_problems(errors_file, report)
        except OSError as exc:  # the import itself is done: say so, and that the list is not there
            console.print(f"[red]Файл ошибок {errors_file} не записан: {exc.strerror or exc}.[/red]")
            errors_file = None
    _print_report(console, report, title, file, errors_file)
    raise typer.Exit(1 if report.errors else 0)


def write_problems(path: Path, report: ImportReport) -> None:
    """Every error and warning of the report as CSV (`строка;вид;причина`), for a file with more than the
    terminal shows."""
    with path.open("w", encoding="utf-8-sig", newline="") as out:  # BOM: Excel opens it as UTF-8
        writer = csv.writer(out, delimiter=";")
        writer.writerow(["строка", "вид", "причина"])
        writer.writerows((line, "ошибка", _inert(message)) for line, message in report.errors)
        writer.writerows((line, "предупреждение", _inert(message)) for line, message in report.warnings)


def _inert(cell: str) -> str:
    """A cell a spreadsheet will not run as a formula: a message may quote a value from the file."""
    return f"'{cell}" if cell.startswith(("=", "+", "-", "@", "\t", "\r")) else cell


def _print_report(console: Console, report: ImportReport, title: str, file: Path, errors_file: Path | None) -> None:
    console.print(
        f"{title} из {file.name}: строк {report.total}, добавлено {report.imported}, обновлено {report.updated}, "
        f"без изменений {report.unchanged}, с ошибками {len({line for line, _ in report.errors})}"
    )
    for rows, heading, style in ((report.errors, "Ошибки: строки пропущены", "red"),
                                 (report.warnings, "Предупреждения", "yellow")):
        if not rows:
            continue
        table = Table(title=heading, title_style=style, show_lines=False, expand=False)
        table.add_column("Строка", justify="right", style=style, no_wrap=True)
        table.add_column("Причина", overflow="fold")
        for line, message in rows[:SHOWN_PROBLEMS]:
            table.add_row(str(line), message)
        console.print(table)
        if len(rows) > SHOWN_PROBLEMS:  # a hostile or broken file can have a million: the terminal gets a page
            where = (f"полный список записан в {errors_file}" if errors_file is not None
                     else "полный список: повторите загрузку с --errors-file ФАЙЛ")
            console.print(f"[{style}]Показаны первые {SHOWN_PROBLEMS} из {len(rows)}; {where}.[/{style}]")
    # Only what the report says was stored is claimed.
    stored = report.imported + report.updated + report.unchanged
    if report.errors and report.total == 0:
        console.print("[red]Файл не загружен: исправьте его и загрузите ещё раз.[/red]")
    elif report.errors and stored == 0:
        console.print("[red]Ничего не сохранено: исправьте строки с ошибками и загрузите файл ещё раз.[/red]")
    elif report.errors:
        console.print(f"[red]Верные строки сохранены ({stored}); исправьте строки с ошибками и загрузите "
                      "файл ещё раз.[/red]")


FILE_ARGUMENT = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="CSV-файл / CSV file")
ERRORS_FILE_OPTION = typer.Option(
    None, "--errors-file", dir_okay=False, writable=True,
    help="Записать все ошибки и предупреждения в CSV-файл / write every error and warning to a CSV file")


@clients_app.command("import")
def clients_import(file: Path = FILE_ARGUMENT, errors_file: Path | None = ERRORS_FILE_OPTION) -> None:
    """Загрузить клиентов из CSV (обновляет по номеру договора) / import clients from CSV."""
    _run_import(import_clients, file, "Клиенты", errors_file)


@clients_app.command("show")
def clients_show(
    query: str = typer.Argument(..., help="Телефон, номер договора, лицевой счёт, e-mail или часть имени"),
    limit: int = typer.Option(20, min=1, help="Сколько клиентов показать"),
) -> None:
    """Найти клиента и показать его карточку / look a client up."""
    console = _console()

    async def show(sessions: Sessions) -> int:
        async with sessions() as session:
            clients = await find_clients(session, query, limit=limit)
            managers = await staff_by_login(session, [c.manager_login or "" for c in clients])
            deputies = await staff_by_login(session, [m.deputy_login or "" for m in managers.values()])
        for client in clients:
            table = Table(title=f"{client.name} — договор {client.contract_number}", show_header=False)
            table.add_column(style="bold", no_wrap=True)
            table.add_column(overflow="fold")
            table.add_row("Лицевой счёт", client.account_number or "—")
            table.add_row("Сегмент", SEGMENT_TITLES.get(client.segment, client.segment))
            table.add_row("Тип здания", BUILDING_TITLES.get(client.building_type or "", client.building_type or "—"))
            table.add_row("Пакеты услуг", ", ".join(client.packages) or "—")
            table.add_row("Адрес", client.address or "—")
            table.add_row("Персональный менеджер", _manager_line(client.manager_login, managers, deputies))
            table.add_row("Предпочтительный канал", client.preferred_channel or "—")
            allowed = phone_filing_allowed(client.segment, client.building_type, list(client.packages))
            table.add_row("Претензия по телефону", "можно" if allowed else "нельзя (нет пакета «Комфорт»)")
            for identity in sorted(client.identities, key=lambda i: (i.kind, i.value)):
                if identity.kind not in ("contract", "account"):
                    table.add_row(IDENTITY_LABELS.get(identity.kind, identity.kind), identity.value)
            console.print(table)
        return len(clients)

    if _with_database(show) == 0:
        console.print(f"Клиент по запросу «{query}» не найден.")
        raise typer.Exit(1)


def _manager_line(login: str | None, managers: dict[str, Staff], deputies: dict[str, Staff]) -> str:
    if not login:
        return "не назначен: обращения получает наименее загруженный менеджер абонентского отдела"
    manager = managers.get(login)
    if manager is None:
        return f"{login} (нет в справочнике сотрудников)"
    if manager.active:
        return f"{manager.name} ({login})"
    deputy = deputies.get(manager.deputy_login or "")
    if deputy is not None and deputy.active:
        return f"{manager.name} ({login}) неактивен → заместитель {deputy.name} ({deputy.login})"
    return f"{manager.name} ({login}) неактивен, активного заместителя нет"


@staff_app.command("import")
def staff_import(file: Path = FILE_ARGUMENT, errors_file: Path | None = ERRORS_FILE_OPTION) -> None:
    """Загрузить сотрудников из CSV (обновляет по логину) / import staff from CSV."""
    _run_import(import_staff, file, "Сотрудники", errors_file)


@staff_app.command("passwd")
def staff_passwd(login: str = typer.Argument(..., help="Логин сотрудника")) -> None:
    """Задать сотруднику новый пароль / set a staff member's password."""
    password = typer.prompt("Новый пароль", hide_input=True, confirmation_prompt="Повторите пароль")
    if not password.strip():
        typer.echo("Пароль не может быть пустым.", err=True)
        raise typer.Exit(1)
    if not _with_database(lambda sessions: set_password(sessions, login, password)):
        typer.echo(f"Сотрудник «{login}» не найден.", err=True)
        raise typer.Exit(1)
    typer.echo(f"Пароль сотрудника «{login}» изменён, его открытые сеансы завершены.")


@staff_app.command("list")
def staff_list() -> None:
    """Список сотрудников / list staff."""
    console = _console()

    async def load(sessions: Sessions) -> list[Staff]:
        async with sessions() as session:
            return list(await session.scalars(select(Staff).order_by(Staff.department, Staff.role, Staff.login)))

    people = _with_database(load)
    table = Table(title=f"Сотрудники: {len(people)}")
    for column in ("Логин", "Имя", "Роль", "Отдел", "Заместитель", "Активен", "Пароль"):
        table.add_column(column)
    for person in people:
        table.add_row(
            person.login, person.name, ROLE_TITLES.get(person.role, person.role), person.department,
            person.deputy_login or "—", "да" if person.active else "нет", "задан" if person.password_hash else "нет",
        )
    console.print(table)
