"""POST /channels/ok/webhook/<secret> on the real nats-server: checks, durable hand-off, what is kept."""

from __future__ import annotations

import asyncio
import json
from ipaddress import ip_network

import pytest
from faststream.nats import NatsBroker

from channels.base import RawSubmission
from channels.ok.webhook import METRICS
from tests.channels.ok.conftest import OK_SOURCE, body, post_webhook, webhook_client
from tests.web.conftest import last_intake, stream_count
from workers.runtime import Database
from workers.settings import Settings
from workers.shunt import jetstream_of, list_shunted


async def test_message_is_published_before_the_answer_and_a_resend_is_a_duplicate(
    settings: Settings, database: Database, broker: NatsBroker
) -> None:
    async with webhook_client(settings, database, broker) as client:
        first = await post_webhook(client, body("message_created.json"))
        assert first.status_code == 200 and first.json()["outcome"] == "accepted"
        stored = await last_intake(broker, "ok")
        assert stored is not None
        raw = RawSubmission.model_validate_json(stored)
        assert raw.native_id == "mid:C3ed8b7c6a8ff.16ade4d4b28"
        again = await post_webhook(client, body("message_created.json"))  # OK resends
        assert again.status_code == 200 and again.json()["outcome"] == "duplicate"
    assert await stream_count(broker) == 1


@pytest.mark.parametrize(("secret", "source", "status", "counter"), [
    ("wrong-secret-0123456789abcdef", OK_SOURCE, 404, "forged_secret"),
    ("", OK_SOURCE, 404, None),  # no path segment at all: no route
    (None, ("203.0.113.7", 5000), 403, "forged_source"),
    (None, ("217.20.145.208", 5000), 403, "forged_source"),  # just outside 217.20.145.192/28
])
async def test_forged_requests_are_refused_counted_and_publish_nothing(
    settings: Settings, database: Database, broker: NatsBroker, secret: str | None, source: tuple[str, int],
    status: int, counter: str | None,
) -> None:
    before = METRICS[counter] if counter else 0
    async with webhook_client(settings, database, broker, source=source) as client:
        kwargs = {"secret": secret} if secret is not None else {}
        response = await post_webhook(client, body("message_created.json"), **kwargs)  # type: ignore[arg-type]
    assert response.status_code == status
    if counter:
        assert METRICS[counter] == before + 1
    assert await stream_count(broker) == 0


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


@pytest.mark.parametrize("name", ["chat_system.json", "message_callback.json"])
async def test_documented_other_kinds_are_answered_and_counted(
    settings: Settings, database: Database, broker: NatsBroker, name: str
) -> None:
    kind = json.loads(body(name))["webhookType"]
    before = METRICS[f"ignored:{kind}"]
    async with webhook_client(settings, database, broker) as client:
        response = await post_webhook(client, body(name))
    assert response.status_code == 200 and response.json()["outcome"] == "ignored"
    assert METRICS[f"ignored:{kind}"] == before + 1
    assert await stream_count(broker) == 0


@pytest.mark.parametrize(("name", "reason"), [
    ("unknown_type.json", "неизвестный тип события OK 'CHAT_PINNED_MESSAGE'"),
    ("malformed_no_mid.json", "message.mid"),
    ("not_json.txt", "не JSON"),
])
async def test_bad_bodies_are_quarantined_once_with_the_reason(
    settings: Settings, database: Database, broker: NatsBroker, name: str, reason: str
) -> None:
    async with webhook_client(settings, database, broker) as client:
        for _ in range(2):  # OK resends: one quarantine record
            response = await post_webhook(client, body(name))
            assert response.status_code == 200 and response.json()["outcome"] == "quarantined"
    assert await stream_count(broker) == 0
    shunted = await list_shunted(jetstream_of(broker))
    assert len(shunted) == 1
    assert shunted[0].envelope.stage == "ok_webhook" and reason in shunted[0].envelope.reason
    assert shunted[0].envelope.data == body(name)


async def test_no_pub_ack_means_503_so_ok_resends(settings: Settings, database: Database, nats_url: str) -> None:
    from tests.web.conftest import connected_broker

    broker = await connected_broker(nats_url, settings)
    await jetstream_of(broker).delete_stream("INTAKE")  # JetStream answers, but nothing can store it
    try:
        async with webhook_client(settings, database, broker) as client:
            response = await post_webhook(client, body("message_created.json"))
        assert response.status_code == 503 and response.json()["outcome"] == "unavailable"
    finally:
        await broker.stop()


async def test_channel_off_is_404(settings: Settings, database: Database, broker: NatsBroker) -> None:
    off = settings.model_copy(update={"ok": None})
    async with webhook_client(off, database, broker) as client:
        assert (await post_webhook(client, body("message_created.json"))).status_code == 404


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
