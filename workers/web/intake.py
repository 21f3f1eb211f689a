"""Hand a submission to the INTAKE stream and wait for JetStream's PubAck, within a time limit."""

from __future__ import annotations

import asyncio
import logging

from faststream.nats import NatsBroker

from channels.base import RawSubmission
from workers.runtime import publish_submission

log = logging.getLogger(__name__)

PUBLISH_TIMEOUT = 15.0  # seconds, all retries included: answer "try again" rather than hang on a dead server


class IntakeUnavailable(RuntimeError):
    """The submission was NOT stored: the caller must say so and let the sender retry."""


async def hand_off(broker: NatsBroker, raw: RawSubmission) -> None:
    try:
        ack = await asyncio.wait_for(publish_submission(broker, raw), PUBLISH_TIMEOUT)
    except Exception as exc:  # any failure means no PubAck: nothing was accepted
        # Only ids and the error class: the submission itself may carry personal data.
        log.warning("intake publish failed for submission %s: %s", raw.submission_id, type(exc).__name__)
        raise IntakeUnavailable(str(raw.submission_id)) from exc
    if ack is None or getattr(ack, "stream", None) != "INTAKE":
        log.warning("intake publish for submission %s got no PubAck from INTAKE", raw.submission_id)
        raise IntakeUnavailable(str(raw.submission_id))
    log.info("submission %s accepted on %s (seq %s%s)", raw.submission_id, raw.channel.value, ack.seq,
             ", duplicate" if ack.duplicate else "")
