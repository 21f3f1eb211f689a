"""`complaints telegram set-webhook/delete-webhook` against the fake Bot API (forged requests counted on /metrics:
test_contract.py, TestTelegramWebhook)."""

from __future__ import annotations

import asyncio
import json

from typer.testing import CliRunner

from tests.channels.telegram.conftest import SECRET, telegram_config
from tests.support.fake_telegram import FakeTelegram
from workers.cli import app

URL = "https://gateway.example.ru/channels/telegram/webhook"


async def test_cli_sets_and_deletes_the_webhook_with_the_secret(fake: FakeTelegram) -> None:
    config = json.loads(telegram_config(fake).model_dump_json())
    config["token"], config["webhook_secret"] = fake.token, SECRET  # dumped masked: put the real ones back
    env = {"COMPLAINTS_TELEGRAM": json.dumps(config)}

    result = await asyncio.to_thread(CliRunner().invoke, app, ["telegram", "set-webhook", URL], env=env)
    assert result.exit_code == 0, result.output
    assert fake.webhook is not None and fake.webhook["url"] == URL and fake.webhook["secret_token"] == SECRET
    result = await asyncio.to_thread(CliRunner().invoke, app, ["telegram", "delete-webhook"], env=env)
    assert result.exit_code == 0, result.output
    assert fake.webhook is None


def test_cli_without_the_channel_says_so() -> None:
    result = CliRunner().invoke(app, ["telegram", "delete-webhook"], env={"COMPLAINTS_TELEGRAM": None})
    assert result.exit_code == 2 and "не настроен" in result.output

