"""`complaints telegram set-webhook/delete-webhook` against the fake Bot API, and forged requests on /metrics."""

from __future__ import annotations

import asyncio
import json
import re

import httpx
from typer.testing import CliRunner

from tests.channels.telegram.conftest import SECRET, load, post_update, telegram_config
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


def _forged(text: str) -> int:
    found = re.search(r'complaints_channel_requests_total\{channel="telegram",outcome="forged"\} (\d+)', text)
    return int(found.group(1)) if found else 0


async def test_forged_requests_are_counted_on_metrics(webhook: httpx.AsyncClient) -> None:
    before = _forged((await webhook.get("/metrics")).text)
    assert (await post_update(webhook, load("text_message"), secret="wrong")).status_code == 401
    assert (await post_update(webhook, load("text_message"), secret=None)).status_code == 401
    page = await webhook.get("/metrics")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/plain")
    assert _forged(page.text) == before + 2
