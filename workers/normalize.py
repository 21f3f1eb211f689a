"""Worker `normalize`: INTAKE RawSubmission -> COMPLAINTS ComplaintEvent (pure normalizer in between)."""

from __future__ import annotations

from faststream import AckPolicy
from faststream.nats import NatsBroker, NatsMessage, PullSub

from channels.base import RawSubmission
from normalizer import normalize
from workers.consumers import ConsumerSpec
from workers.decoding import keep_bytes
from workers.reliability import Settler
from workers.runtime import Runtime
from workers.shunt import jetstream_of
from workers.streams import COMPLAINTS_SUBJECT, INTAKE_PREFIX

STAGE = "normalize"
SPEC = ConsumerSpec(durable="normalize", stream="INTAKE", subject=f"{INTAKE_PREFIX}.*")


def register(broker: NatsBroker, runtime: Runtime) -> None:
    settings = runtime.settings

    @broker.subscriber(
        SPEC.subject,
        stream=runtime.streams.intake,
        durable=SPEC.durable,
        config=SPEC.config(settings),
        # Up to 256 messages per pull, handled concurrently so their publishes are pipelined.
        pull_sub=PullSub(batch_size=256, timeout=1.0),
        ack_policy=AckPolicy.MANUAL,
        decoder=keep_bytes,
        title="normalize",
        description="RawSubmission -> ComplaintEvent",
    )
    async def normalize_submission(body: bytes, msg: NatsMessage) -> None:
        raw_msg = msg.raw_message
        js = jetstream_of(broker)
        try:
            raw = RawSubmission.model_validate_json(body)
            event = normalize(raw)
            await js.publish(
                COMPLAINTS_SUBJECT,
                event.model_dump_json().encode(),
                stream="COMPLAINTS",
                headers={"Nats-Msg-Id": f"event:{event.event_id}", "content-type": "application/json"},
            )
        except Exception as exc:
            await Settler(STAGE, settings, js).failed(raw_msg, exc)
            return
        await raw_msg.ack()
