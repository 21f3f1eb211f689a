"""`complaints calendar …`: the production calendar of a year and the deadlines of given registration moments."""

from __future__ import annotations

import json
import logging
import sys
from datetime import date, datetime, timedelta
from typing import Annotated

import typer
from rich.console import Console

from router.calendar import BusinessCalendar
from workers.app.settings import Settings
from workers.cli import app

calendar_app = typer.Typer(help="Производственный календарь и сроки / working-time calendar", no_args_is_help=True)
app.add_typer(calendar_app, name="calendar")

log = logging.getLogger(__name__)

MONTHS = (
    "Январь",
    "Февраль",
    "Март",
    "Апрель",
    "Май",
    "Июнь",
    "Июль",
    "Август",
    "Сентябрь",
    "Октябрь",
    "Ноябрь",
    "Декабрь",
)
WEEKDAYS = "Пн  Вт  Ср  Чт  Пт  Сб  Вс"
LEGEND = "Обозначения: 12 — рабочий день, 12* — сокращённый на 1 час (предпраздничный), 12в — нерабочий день"
BAD_INPUT = 2


def _console() -> Console:
    # Created per call so a test runner's captured stdout is the one written to.
    return Console(highlight=False, soft_wrap=True)


def _cell(calendar: BusinessCalendar, day: date) -> str:
    if not calendar.is_working_day(day):
        return f"[red]{day.day:>2}в[/red]"
    if calendar.is_shortened(day):
        return f"[yellow]{day.day:>2}*[/yellow]"
    return f"{day.day:>2} "


def _month(calendar: BusinessCalendar, year: int, month: int) -> list[str]:
    first = date(year, month, 1)
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    totals = calendar.totals(year, first, last)
    lines = [
        f"[bold]{MONTHS[month - 1]} {year}[/bold]  рабочих дней: {totals.working_days}, "
        f"нерабочих: {totals.non_working_days}, часов (40-часовая неделя): {totals.hours_40h}",
        WEEKDAYS,
    ]
    cells = ["   "] * first.weekday()
    day = first
    while day <= last:
        cells.append(_cell(calendar, day))
        day += timedelta(days=1)
    for start in range(0, len(cells), 7):
        lines.append(" ".join(cells[start : start + 7]).rstrip())
    return lines


@calendar_app.command("show")
def show(year: Annotated[int, typer.Argument(help="год / year", min=1991, max=2100)]) -> None:
    """Показать производственный календарь года по месяцам / print the year month by month."""
    calendar = Settings().calendar
    console = _console()
    warning = calendar.coverage_warning(year)
    if warning:
        console.print(f"[bold yellow]Внимание:[/bold yellow] {warning}")
    console.print(f"[bold]Производственный календарь на {year} год[/bold]")
    console.print(LEGEND)
    for month in range(1, 13):
        console.print()
        for line in _month(calendar, year, month):
            console.print(line)
    totals = calendar.totals(year)
    console.print()
    console.print(f"Итого за {year} год:")
    console.print(f"  рабочих дней: {totals.working_days}")
    console.print(f"  выходных и нерабочих праздничных дней: {totals.non_working_days}")
    console.print(f"  сокращённых предпраздничных дней: {totals.shortened_days}")
    console.print(f"  норма рабочего времени при 40-часовой неделе: {totals.hours_40h} ч")


def _parse(raw: str, calendar: BusinessCalendar) -> datetime:
    moment = datetime.fromisoformat(raw.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=calendar.tz)  # without an offset: company time
    return moment


@calendar_app.command("deadlines")
def deadlines(
    timestamps: Annotated[
        list[str] | None,
        typer.Argument(help="моменты регистрации ISO 8601; без аргументов — по одному в строке из stdin"),
    ] = None,
) -> None:
    """Сроки для моментов регистрации, по строке JSON на каждый / deadlines as JSON lines."""
    calendar = Settings().calendar
    if timestamps:
        lines = [(f"аргумент {number}", raw) for number, raw in enumerate(timestamps, 1)]
    else:
        # Bytes that are not UTF-8 become U+FFFD: the line is then named unreadable, never a traceback.
        text = sys.stdin.buffer.read().decode("utf-8", errors="replace")
        lines = [(f"строка {number}", raw) for number, raw in enumerate(text.splitlines(), 1)]
    failed = False
    for where, raw in lines:
        if not raw.strip():
            continue
        try:
            registered = _parse(raw, calendar)
            due = calendar.deadlines(registered)
        except (ValueError, OverflowError):  # OverflowError: a deadline past year 9999 (or a moment before year 1)
            typer.echo(
                f"{where}: не удалось разобрать время «{raw.strip()}» — нужен ISO 8601, "
                "например 2026-03-02T10:15:00+03:00",
                err=True,
            )
            failed = True
            continue
        moments = {
            "registered": registered,
            "first_response": due.first_response,
            "resolution": due.resolution,
            "legal": due.legal,
        }
        typer.echo(json.dumps({key: value.astimezone(calendar.tz).isoformat() for key, value in moments.items()}))
    if failed:
        raise typer.Exit(BAD_INPUT)


def log_calendar_coverage(calendar: BusinessCalendar, today: date | None = None) -> list[int]:
    """Log a warning for the current and the next year when their moved days are unknown; returns them."""
    year = (today or datetime.now(calendar.tz).date()).year
    missing = calendar.years_without_data([year, year + 1])
    for unknown in missing:
        log.warning("%s", calendar.coverage_warning(unknown))
    return missing
