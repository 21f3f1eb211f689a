"""`complaints up`/`web` refuse the placeholder session secret unless --demo, which generates one, keeps it in
data_dir (mode 0600) and reuses it on the next start; and uvicorn believes forwarded headers from nobody by
default."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import typer
from fastapi import FastAPI
from pydantic import SecretStr
from typer.testing import CliRunner

from workers.app.settings import PLACEHOLDER_SESSION_SECRET, Settings
from workers.cli import app as cli
from workers.cli.run import (
    DEMO_SECRET_FILE,
    PlaceholderSessionSecret,
    _with_session_secret,
    decide_session_secret,
    uvicorn_config,
)


def placeholder(tmp_path: Path) -> Settings:
    settings = Settings(data_dir=tmp_path / "var")
    assert settings.session_secret.get_secret_value() == PLACEHOLDER_SESSION_SECRET
    return settings


@pytest.fixture(autouse=True)
def no_secret_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """None set, and none left behind by _with_session_secret (set first, so that the teardown restores it)."""
    monkeypatch.setenv("COMPLAINTS_SESSION_SECRET", "restored-after-the-test")
    monkeypatch.delenv("COMPLAINTS_SESSION_SECRET")


def test_the_placeholder_is_refused_without_demo(tmp_path: Path) -> None:
    with pytest.raises(PlaceholderSessionSecret, match="COMPLAINTS_SESSION_SECRET"):
        decide_session_secret(placeholder(tmp_path), demo=False)
    assert not (tmp_path / "var" / DEMO_SECRET_FILE).exists()


def test_the_commands_exit_non_zero(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(typer.Exit) as exited:
        _with_session_secret(placeholder(tmp_path), demo=False)
    assert exited.value.exit_code == 2
    monkeypatch.setenv("COMPLAINTS_DATA_DIR", str(tmp_path / "var"))
    for command in ("web", "up"):
        result = CliRunner().invoke(cli, [command])
        assert result.exit_code == 2, result.output
        assert "--demo" in result.output and "COMPLAINTS_SESSION_SECRET" in result.output


def test_demo_generates_a_secret_kept_for_the_next_start(tmp_path: Path) -> None:
    first = decide_session_secret(placeholder(tmp_path), demo=True).get_secret_value()
    stored = tmp_path / "var" / DEMO_SECRET_FILE
    assert stored.read_text().strip() == first and len(first) >= 32 and first != PLACEHOLDER_SESSION_SECRET
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert decide_session_secret(placeholder(tmp_path), demo=True).get_secret_value() == first
    assert [p.name for p in stored.parent.iterdir()] == [DEMO_SECRET_FILE]  # no partial file left


def test_a_configured_secret_is_used_as_it_is(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var", session_secret=SecretStr("x" * 40))
    for demo in (False, True):
        assert decide_session_secret(settings, demo=demo).get_secret_value() == "x" * 40
    assert not (tmp_path / "var" / DEMO_SECRET_FILE).exists()


def test_demo_hands_the_secret_to_child_processes(tmp_path: Path) -> None:
    settings = _with_session_secret(placeholder(tmp_path), demo=True)
    secret = settings.session_secret.get_secret_value()
    assert secret != PLACEHOLDER_SESSION_SECRET and os.environ["COMPLAINTS_SESSION_SECRET"] == secret


def test_uvicorn_trusts_no_forwarded_headers_by_default(tmp_path: Path) -> None:
    config = uvicorn_config(FastAPI(), placeholder(tmp_path))
    assert config.forwarded_allow_ips == "" and config.proxy_headers is False


def test_uvicorn_trusts_only_the_configured_proxies(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var", web_trusted_proxies=["10.0.0.5", "192.168.1.0/24"])
    config = uvicorn_config(FastAPI(), settings)
    assert config.forwarded_allow_ips == "10.0.0.5,192.168.1.0/24" and config.proxy_headers is True


def test_uvicorn_runs_on_uvloop_and_httptools(tmp_path: Path) -> None:
    """The pure-Python loop and h11 parser were a quarter of the web process's CPU per request."""
    config = uvicorn_config(FastAPI(), placeholder(tmp_path))
    config.load()  # imports the chosen loop and HTTP implementations: fails if either is missing
    assert (config.loop, config.http) == ("uvloop", "httptools")
    assert config.http_protocol_class.__module__ == "uvicorn.protocols.http.httptools_impl"
