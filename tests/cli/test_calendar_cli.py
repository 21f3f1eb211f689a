"""`complaints calendar show` and `complaints calendar deadlines`, and the start-up coverage warning."""

from __future__ import annotations

import json
import logging
from datetime import date, datetime

import pytest
from typer.testing import CliRunner, Result

from router.calendar import BusinessCalendar
from workers.cli import app
from workers.cli.calendar import log_calendar_coverage

KEYS = ["registered", "first_response", "resolution", "legal"]


def run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(app, ["calendar", *args], input=stdin)


@pytest.fixture(autouse=True)
def _company_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TIMEZONE", "WORK_DAY_START", "WORK_DAY_END", "LUNCH_START", "LUNCH_END", "DEPARTMENT_HOURS"):
        monkeypatch.delenv(f"COMPLAINTS_{name}", raising=False)
    for name in ("SHORTENED_DAYS_EXTRA", "SHORTENED_DAYS_REMOVED"):
        monkeypatch.delenv(f"COMPLAINTS_{name}", raising=False)


def test_show_prints_the_year_and_the_official_totals() -> None:
    result = run("show", "2026")
    assert result.exit_code == 0, result.output
    out = result.stdout
    for month in ("Январь 2026", "Май 2026", "Декабрь 2026"):
        assert month in out
    assert "Январь 2026  рабочих дней: 15, нерабочих: 16, часов (40-часовая неделя): 120" in out
    assert "рабочих дней: 247" in out
    assert "выходных и нерабочих праздничных дней: 118" in out
    assert "сокращённых предпраздничных дней: 4" in out
    assert "норма рабочего времени при 40-часовой неделе: 1972 ч" in out
    assert " 8*" in out and " 9в" in out  # 8 May 2026 shortened, 9 May (and 9 Jan) non-working
    assert "Нет данных" not in out


def test_show_warns_when_the_moved_days_are_unknown() -> None:
    result = run("show", "2099")
    assert result.exit_code == 0, result.output
    assert "Нет данных о переносах выходных дней на 2099 год" in result.stdout


def test_deadlines_from_arguments() -> None:
    result = run("deadlines", "2026-11-20T16:00", "2026-03-02T06:00:00Z")
    assert result.exit_code == 0, result.output
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert list(first) == KEYS
    # Without an offset the moment is company time (Moscow).
    assert first == {
        "registered": "2026-11-20T16:00:00+03:00",
        "first_response": "2026-11-23T15:00:00+03:00",
        "resolution": "2026-11-27T18:00:00+03:00",
        "legal": "2027-01-19T23:59:59+03:00",
    }
    # 06:00 UTC is 09:00 in Moscow, Monday 2 Mar 2026; 9 Mar is a day off (8 March fell on a Sunday).
    assert second == {
        "registered": "2026-03-02T09:00:00+03:00",
        "first_response": "2026-03-02T17:00:00+03:00",
        "resolution": "2026-03-10T18:00:00+03:00",
        # 2 Mar + 29 = 31 Mar, + 30 = 30 Apr, + 1 = 1 May (60th day), a holiday; weekend -> Mon 4 May.
        "legal": "2026-05-04T23:59:59+03:00",
    }
    for value in (*first.values(), *second.values()):
        assert datetime.fromisoformat(value).utcoffset() is not None and value.endswith("+03:00")


def test_deadlines_from_stdin_with_a_bad_line() -> None:
    stdin = "2025-10-31T15:00:00+03:00\nnot a date\n\n2025-12-31 10:00\n"
    result = run("deadlines", stdin=stdin)
    assert result.exit_code == 2
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["registered"] for line in lines] == ["2025-10-31T15:00:00+03:00", "2025-12-31T10:00:00+03:00"]
    assert lines[0]["first_response"] == "2025-11-01T14:00:00+03:00"  # the working Saturday
    assert lines[1]["first_response"] == "2026-01-12T17:00:00+03:00"  # after the New Year holidays
    assert "строка 2" in result.stderr and "not a date" in result.stderr
    assert "not a date" not in result.stdout


def test_a_bad_argument_is_named() -> None:
    result = run("deadlines", "2026-03-02T10:00", "2026-13-45")
    assert result.exit_code == 2
    assert len(result.stdout.splitlines()) == 1
    assert "аргумент 2" in result.stderr and "2026-13-45" in result.stderr


def test_deadlines_follow_the_configured_lunch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPLAINTS_LUNCH_START", "13:00")
    monkeypatch.setenv("COMPLAINTS_LUNCH_END", "14:00")
    result = run("deadlines", "2026-03-02T12:00")
    assert result.exit_code == 0, result.output
    # 1 h before lunch, 4 h after it, Tue 3 Mar 09:00 + 3 h = 12:00 (without lunch it would be 11:00).
    assert json.loads(result.stdout)["first_response"] == "2026-03-03T12:00:00+03:00"


def test_start_up_warns_about_years_without_moved_days(caplog: pytest.LogCaptureFixture) -> None:
    calendar = BusinessCalendar()
    with caplog.at_level(logging.WARNING):
        assert log_calendar_coverage(calendar, today=date(2026, 12, 3)) == []
        assert not caplog.records
        assert log_calendar_coverage(calendar, today=date(2098, 6, 1)) == [2098, 2099]
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2
    assert "на 2098 год" in messages[0] and "на 2099 год" in messages[1]
    assert all(record.levelno == logging.WARNING for record in caplog.records)
