"""The normalize stage on a real nats-server: a batch whose normalizing outlasts ack_wait (mails of hostile markup
at the normalizer's bounds take a second or so each) is kept in progress, so no message of it is delivered again
while it is being worked on, and each is normalized and acked once."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import nats
import pytest

from channels.base import RawSubmission
from channels.web import parse_feedback
from normalizer import ComplaintEvent
from tests.support.waiting import eventually
from workers.app.runtime import Runtime, declare_all_streams, make_broker
from workers.app.settings import Settings
from workers.app.worker_set import WorkerSet
from workers.bus.publish import intake_message
from workers.stages import normalize as normalize_stage

SUBMISSIONS = 12
SECONDS_EACH = 0.4  # 12 of them in one batch: ~4.8 s, more than twice ack_wait
ACK_WAIT = 2.0


def submission(i: int) -> RawSubmission:
    return parse_feedback({"text": f"Жалоба {i}: нет интернета", "email": f"client{i}@example.ru"},
                          idempotency_key=f"slow-{i}", api_client="lk", received_at=datetime.now(UTC))


async def publish_before_the_stage_starts(settings: Settings, nats_url: str) -> None:
    """All of them waiting in INTAKE, so the stage's first pull takes them as one batch."""
    broker = make_broker(nats_url)
    await broker.connect()
    await declare_all_streams(broker, Runtime(settings).streams)
    await broker.stop()
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        for i in range(SUBMISSIONS):
            subject, body, headers = intake_message(submission(i))
            await js.publish(subject, body, headers=headers)
    finally:
        await nc.close()


async def test_a_batch_slower_than_ack_wait_is_delivered_and_normalized_once(
    settings: Settings, nats_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings.model_copy(update={"ack_wait": ACK_WAIT})
    normalized: list[str] = []
    real = normalize_stage.normalize

    def slow(raw: RawSubmission, **kwargs: Any) -> ComplaintEvent:
        time.sleep(SECONDS_EACH)  # CPU the event loop cannot leave, as a hostile mail's markup is
        normalized.append(raw.native_id)
        return real(raw, **kwargs)

    monkeypatch.setattr(normalize_stage, "normalize", slow)
    await publish_before_the_stage_starts(settings, nats_url)

    async with WorkerSet(settings, nats_url=nats_url, names=("normalize",)):
        nc = await nats.connect(nats_url)
        try:
            js = nc.jetstream()

            async def all_acked() -> bool:
                info = await js.consumer_info("INTAKE", "normalize")
                return info.ack_floor.stream_seq == SUBMISSIONS and info.num_ack_pending == 0

            await eventually(all_acked, within=60)
            info = await js.consumer_info("INTAKE", "normalize")
            stored = (await js.stream_info("COMPLAINTS")).state.messages
        finally:
            await nc.close()

    # Each delivered once (the consumer's delivery count), so normalized once: not again after ack_wait.
    assert info.delivered.consumer_seq == SUBMISSIONS, "delivered again while its batch was being normalized"
    assert sorted(normalized) == sorted(submission(i).native_id for i in range(SUBMISSIONS))
    assert stored == SUBMISSIONS
