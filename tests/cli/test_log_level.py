"""COMPLAINTS_LOG_LEVEL: every process logs from the level the settings give (INFO unless set)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from workers.app.settings import Settings
from workers.cli import app as cli


@pytest.fixture
def root_logger() -> Iterator[logging.Logger]:
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    try:
        yield root
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)


def test_the_level_is_read_from_the_environment_in_any_case(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings(_env_file=None).log_level == "INFO"
    monkeypatch.setenv("COMPLAINTS_LOG_LEVEL", " warning ")
    assert Settings(_env_file=None).log_level == "WARNING"


def test_an_unknown_level_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPLAINTS_LOG_LEVEL", "loud")
    with pytest.raises(ValidationError, match="log_level"):
        Settings(_env_file=None)


@pytest.mark.parametrize("level", ["WARNING", "DEBUG"])
def test_a_worker_process_logs_from_the_level_set(
    level: str, root_logger: logging.Logger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    root_logger.setLevel(logging.INFO)
    result = CliRunner().invoke(cli, ["worker", "no-such-worker"], env={"COMPLAINTS_LOG_LEVEL": level})
    assert result.exit_code == 2  # the logging was set up before the names were checked
    assert root_logger.level == getattr(logging, level)
