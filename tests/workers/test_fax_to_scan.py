"""Fax to email: a mail from a configured fax gateway with a TIFF becomes a fax scan submission (OCR text,
the gateway as its sender), not an email ticket; any other mail goes on as email. Real NATS and Tesseract."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest
from faststream.nats import NatsBroker

from channels.base import Channel, RawSubmission
from channels.email.submission import store_mail
from normalizer import NormalizerConfig, normalize
from tests.support.scans import fax_tiff
from tests.web.conftest import connected_broker, last_intake, stream_count
from workers.app.settings import Settings
from workers.bus.shunt import jetstream_of
from workers.channels.registry import normalizer_steps
from workers.channels.scan.fax_intake import hand_faxes_to_scan

RECEIVED = datetime(2026, 3, 16, 9, 30, tzinfo=UTC)


@pytest.fixture
def gateway_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"fax_gateway_senders": ["fax@gateway.example.ru"]})


@pytest.fixture
async def broker(nats_url: str, gateway_settings: Settings) -> AsyncIterator[NatsBroker]:
    broker = await connected_broker(nats_url, gateway_settings)
    yield broker
    await broker.stop()


def mail(sender: str, uid: int, attach: bool = True) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, "claims@example.ru", "Факс от +74951234567"
    message["Message-ID"] = f"<fax{uid}@gateway.example.ru>"
    message.set_content("Входящий факс во вложении.")
    if attach:
        message.add_attachment(fax_tiff(), maintype="image", subtype="tiff", filename="fax.tif")
    return message.as_bytes()


def raw_mail(settings: Settings, data: bytes, uid: int) -> RawSubmission:
    return store_mail(settings.blobs, data, native_id=f"claims:1:{uid}", received_at=RECEIVED)


async def test_a_gateway_fax_becomes_a_fax_scan_with_its_ocr_text(
    gateway_settings: Settings, broker: NatsBroker
) -> None:
    js = jetstream_of(broker)
    ack = await hand_faxes_to_scan(
        js, gateway_settings, raw_mail(gateway_settings, mail("Fax@Gateway.example.ru", 1), 1)
    )
    assert ack is not None
    assert await stream_count(broker) == 1 and await last_intake(broker, "email") is None
    published = await last_intake(broker, "fax")
    assert published is not None
    raw = RawSubmission.model_validate_json(published)
    assert raw.channel == Channel.FAX and raw.payload["source"] == "fax_email"
    assert raw.payload["fax_from"] == "fax@gateway.example.ru" and raw.received_at == RECEIVED
    event = normalize(
        raw,
        config=NormalizerConfig.from_settings(gateway_settings),
        channel_steps=normalizer_steps(),
        blobs=gateway_settings.blobs,
    )
    assert event.scan is not None and event.scan.fields.contract == "12-000001"
    assert "перерасчёт" in event.text


async def test_other_mail_and_a_gateway_mail_without_a_fax_stay_email(
    gateway_settings: Settings, broker: NatsBroker
) -> None:
    js = jetstream_of(broker)
    assert (
        await hand_faxes_to_scan(js, gateway_settings, raw_mail(gateway_settings, mail("client@example.ru", 2), 2))
        is None
    )
    assert (
        await hand_faxes_to_scan(
            js, gateway_settings, raw_mail(gateway_settings, mail("fax@gateway.example.ru", 3, attach=False), 3)
        )
        is None
    )
    assert await stream_count(broker) == 0
