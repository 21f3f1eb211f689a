"""The one publish path of a channel's submission into INTAKE, with one time limit.

Every edge (REST feedback, the phone form, the webhooks, the channel processes) hands a submission on
through `publish_to_intake`, and answers its platform only after JetStream's PubAck. A timed-out
publish is ambiguous (stored or not?): it is resent with the same Nats-Msg-Id, which the stream drops
if the first one was stored. All attempts share PUBLISH_TIMEOUT, so an edge answers "try again"
rather than hang on a dead server.
"""

from __future__ import annotations

import asyncio
import logging

from faststream.nats import NatsBroker
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import PubAck

from channels.base import RawSubmission
from workers.bus.shunt import jetstream_of
from workers.bus.streams import intake_subject

log = logging.getLogger("complaints.publish")

PUBLISH_TIMEOUT = 15.0  # seconds for one hand-off, every attempt included
ATTEMPTS = 3


class IntakeUnavailable(RuntimeError):
    """The submission was NOT stored: the caller must say so and let the sender retry."""


def intake_message(raw: RawSubmission) -> tuple[str, bytes, dict[str, str]]:
    """The subject, body and headers a submission is stored in INTAKE with (whoever publishes it, one message
    or a batch): Nats-Expected-Stream makes a subject bound to another stream a refusal, not a misfiling."""
    return (intake_subject(raw.channel), raw.model_dump_json().encode(),
            {"Nats-Msg-Id": raw.dedup_key, "content-type": "application/json", "Nats-Expected-Stream": "INTAKE"})


async def publish_to_intake(js: JetStreamContext, raw: RawSubmission, attempts: int = ATTEMPTS) -> PubAck:
    """Returns only after JetStream's PubAck (raises on a timeout past the last attempt)."""
    subject, body, headers = intake_message(raw)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PUBLISH_TIMEOUT
    for attempt in range(1, attempts + 1):
        share = max(deadline - loop.time(), 0.001) / (attempts - attempt + 1)  # the attempts share the limit
        try:
            return await js.publish(subject, body, stream="INTAKE", headers=headers, timeout=share)
        except NatsTimeoutError:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")


async def publish_submission(broker: NatsBroker, raw: RawSubmission) -> PubAck:
    """publish_to_intake on a FastStream broker's connection."""
    return await publish_to_intake(jetstream_of(broker), raw)  # nats-py directly: FastStream's path costs CPU


async def hand_off(broker: NatsBroker | None, raw: RawSubmission) -> PubAck:
    """What an HTTP edge calls: the PubAck, or IntakeUnavailable whatever went wrong (nothing was accepted)."""
    try:
        if broker is None:
            raise RuntimeError("no broker")
        ack = await asyncio.wait_for(publish_submission(broker, raw), PUBLISH_TIMEOUT)
    except Exception as exc:  # any failure means no PubAck
        # Only ids and the error class: the submission itself may carry personal data.
        log.warning("intake publish failed for submission %s: %s", raw.submission_id, type(exc).__name__)
        raise IntakeUnavailable(str(raw.submission_id)) from exc
    if getattr(ack, "stream", None) != "INTAKE":
        log.warning("intake publish for submission %s got no PubAck from INTAKE", raw.submission_id)
        raise IntakeUnavailable(str(raw.submission_id))
    log.info("submission %s accepted on %s (seq %s%s)", raw.submission_id, raw.channel.value, ack.seq,
             ", duplicate" if ack.duplicate else "")
    return ack
