"""POST /channels/ok/webhook/<secret> on the real nats-server: X-Forwarded-For, the allow-list, the 5 s limit.

What every webhook promises (PubAck first, duplicates, forged paths and sources, quarantine, 503, 404 when
off) is in test_contract.py (TestOkWebhook)."""

from __future__ import annotations

import asyncio
from ipaddress import ip_network

import pytest
from faststream.nats import NatsBroker

from channels.base import RawSubmission
from tests.channels.ok.conftest import OK_SOURCE, body, post_webhook, webhook_client
from tests.web.conftest import stream_count
from workers.app.runtime import Database
from workers.app.settings import Settings


async def test_forwarded_for_is_believed_only_from_a_trusted_proxy(
    settings: Settings, database: Database, broker: NatsBroker
) -> None:
    headers = {"X-Forwarded-For": "217.20.145.200"}
    async with webhook_client(settings, database, broker, source=("127.0.0.1", 5000)) as client:
        assert (await post_webhook(client, body("message_created.json"), headers=headers)).status_code == 403
    assert settings.ok is not None
    behind = settings.ok.model_copy(update={"trusted_proxies": [ip_network("127.0.0.1/32")]})
    proxied = settings.model_copy(update={"ok": behind})
    async with webhook_client(proxied, database, broker, source=("127.0.0.1", 5000)) as client:
        assert (await post_webhook(client, body("message_created.json"), headers=headers)).status_code == 200
        assert (await post_webhook(client, body("message_emoji.json"))).status_code == 403  # proxy, no header
    assert await stream_count(broker) == 1


@pytest.mark.ok_config(allowed_networks=["127.0.0.1/32"])
async def test_allow_list_is_configurable(settings: Settings, database: Database, broker: NatsBroker) -> None:
    async with webhook_client(settings, database, broker, source=("127.0.0.1", 1234)) as client:
        assert (await post_webhook(client, body("message_created.json"))).status_code == 200
    async with webhook_client(settings, database, broker) as client:  # OK's own range is now not listed
        assert (await post_webhook(client, body("message_emoji.json"))).status_code == 403


async def test_a_hand_off_slower_than_the_limit_is_answered_503(settings: Settings) -> None:
    from channels.ok.webhook import handle_webhook

    config = settings.ok
    assert config is not None
    config = config.model_copy(update={"hand_off_timeout": 0.2})
    published: list[RawSubmission] = []

    async def stuck(raw: RawSubmission) -> bool:
        published.append(raw)
        await asyncio.Event().wait()  # JetStream never acks
        return False

    async def read() -> bytes:
        return body("message_created.json")

    async def never(*args: object) -> None:
        raise AssertionError("nothing to quarantine")

    answer = await handle_webhook(config, "s3cr3t-path-0123456789abcdef", OK_SOURCE[0], None, read, stuck, never)
    assert answer.status == 503 and len(published) == 1
