"""`complaints ok subscribe / subscriptions / unsubscribe` against the fake OK API."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner, Result

from tests.support.fake_ok import FakeOk, fake_ok
from workers.cli import app

URL = "https://gateway.example.ru/channels/ok/webhook/s3cr3t-path-0123456789abcdef"


@pytest.fixture
def server() -> Iterator[FakeOk]:
    with fake_ok() as running:
        yield running


def run(server: FakeOk, *args: str, token: str | None = None) -> Result:
    config = {"token": token or server.token, "api_base": server.base_url, "webhook_secret": "x" * 16}
    return CliRunner().invoke(app, ["ok", *args], env={"COMPLAINTS_OK": json.dumps(config)})


def test_subscribe_list_and_unsubscribe(server: FakeOk) -> None:
    result = run(server, "subscribe", URL)
    assert result.exit_code == 0, result.output
    assert "Вебхук подписан" in result.output and "s3cr3t" not in result.output
    [call] = server.calls_to("/graph/me/subscribe")
    assert call.body == {"url": URL} and call.query["access_token"] == server.token
    assert call.content_type.startswith("application/json")

    listed = run(server, "subscriptions")
    assert listed.exit_code == 0 and "Подписанные вебхуки (1)" in listed.output
    assert "gateway.example.ru/channels/ok/webhook/***" in listed.output and "s3cr3t" not in listed.output

    removed = run(server, "unsubscribe", URL)
    assert removed.exit_code == 0 and "Вебхук отписан" in removed.output
    assert server.calls_to("/graph/me/unsubscribe")[0].body == {"url": URL}
    assert "Подписанных вебхуков нет" in run(server, "subscriptions").output


def test_errors_are_clear_and_do_not_show_the_token(server: FakeOk) -> None:
    result = run(server, "subscriptions", token="bad-token-123")
    assert result.exit_code == 1
    assert "Ошибка API Одноклассников" in result.output and "bad-token-123" not in result.output
    assert run(server, "subscribe", "not a url").exit_code == 2


def test_channel_not_configured() -> None:
    result = CliRunner().invoke(app, ["ok", "subscriptions"], env={"COMPLAINTS_OK": None})
    assert result.exit_code == 2 and "не настроен" in result.output
    broken = CliRunner().invoke(app, ["ok", "subscriptions"], env={"COMPLAINTS_OK": '{"token": "t"}'})
    assert broken.exit_code == 2 and "webhook_secret" in broken.output
