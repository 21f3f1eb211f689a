"""Properties of the calendar's one parser, `complaints calendar deadlines` (workers/cli/calendar.py): any line of
input is either answered with ordered deadlines or named as unreadable (exit code 2), never a traceback; an ISO
8601 moment round-trips to the `registered` it answers with."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from workers.cli import app
from workers.cli.calendar import BAD_INPUT

ENV = {f"COMPLAINTS_{name}": None for name in ("TIMEZONE", "WORK_DAY_START", "WORK_DAY_END", "LUNCH_START",
                                               "LUNCH_END", "DEPARTMENT_HOURS", "SHORTENED_DAYS_EXTRA",
                                               "SHORTENED_DAYS_REMOVED")}
moments = st.datetimes(min_value=datetime(1991, 1, 1), max_value=datetime(2100, 12, 31),
                       timezones=st.sampled_from([UTC, None])).map(
    lambda moment: moment if moment.tzinfo is None else moment.astimezone(UTC))
lines = st.one_of(st.text(alphabet=st.characters(exclude_characters="\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"),
                          max_size=40),
                  st.datetimes().map(lambda m: m.isoformat()),
                  st.datetimes(timezones=st.just(UTC)).map(lambda m: m.isoformat()),
                  # The ends of the datetime range, where a deadline falls outside it.
                  st.datetimes(min_value=datetime(9999, 10, 1)).map(lambda m: m.isoformat()),
                  st.datetimes(max_value=datetime(1, 1, 3)).map(lambda m: m.isoformat(timespec="minutes")))


def deadlines(*args: str, stdin: bytes | None = None) -> tuple[int, list[dict[str, str]]]:
    result = CliRunner().invoke(app, ["calendar", "deadlines", *args], input=stdin, env=ENV)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@given(moments)
def test_moment_round_trips_with_ordered_deadlines(moment: datetime) -> None:
    code, answers = deadlines(moment.isoformat())
    assert code == 0 and len(answers) == 1
    due = {key: datetime.fromisoformat(value) for key, value in answers[0].items()}
    registered = due["registered"]
    if moment.tzinfo is None:
        assert registered.replace(tzinfo=None) == moment  # naive: read as company time, shown as such
    else:
        assert registered == moment  # the same instant, shown in company time
    assert registered < due["first_response"] <= due["resolution"] <= due["legal"]
    assert due["legal"] - registered <= timedelta(days=100)


def test_a_line_that_is_not_utf8_is_named_unreadable() -> None:
    code, answers = deadlines(stdin=b"2026-03-02T10:15:00+03:00\n\xed\xa0\x80\xff 2026\n")
    assert code == BAD_INPUT
    assert len(answers) == 1 and answers[0]["registered"].startswith("2026-03-02T10:15:00")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@given(st.lists(lines, min_size=1, max_size=4))
def test_any_input_is_answered_or_named_unreadable(raw: list[str]) -> None:
    # As a pipe gives them: bytes. A lone surrogate becomes bytes that are not UTF-8 (surrogatepass).
    code, answers = deadlines(stdin=("\n".join(raw) + "\n").encode("utf-8", "surrogatepass"))
    assert code in (0, BAD_INPUT)
    assert len(answers) <= len([line for line in raw if line.strip()])
    if code == 0:
        assert len(answers) == len([line for line in raw if line.strip()])
