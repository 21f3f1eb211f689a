"""How a stage settles a message it could not process: retry with a delay, or shunt it with a reason.

Every subscriber acks manually; nothing is ever terminated silently (FastStream's NATS default,
reject-on-error, would lose the message).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy as JsAckPolicy
from nats.js.api import ConsumerConfig, DeliverPolicy
from pydantic import ValidationError

from channels.base import BadSubmission
from workers.app.runtime import database_unavailable
from workers.app.settings import Settings
from workers.bus.shunt import shunt

log = logging.getLogger("complaints.reliability")

# Errors that no retry can cure: quarantine at once.
PERMANENT_ERRORS: tuple[type[BaseException], ...] = (
    BadSubmission,
    ValidationError,
    json.JSONDecodeError,
    UnicodeDecodeError,
)

# Deliveries a message may use up while the database is unreachable (retried at the longest backoff step, so
# 1000 x 120 s by default: days). An outage is no message's fault: it never makes one give up.
OUTAGE_MAX_DELIVER = 1000


def consumer_config(settings: Settings, durable: str) -> ConsumerConfig:
    """Explicit acks; the server keeps one delivery in reserve so the stage itself shunts the last one
    (the ceiling leaves room for the retries of a database outage, see OUTAGE_MAX_DELIVER)."""
    return ConsumerConfig(
        durable_name=durable,
        ack_policy=JsAckPolicy.EXPLICIT,
        deliver_policy=DeliverPolicy.ALL,
        max_deliver=max(settings.max_deliver, OUTAGE_MAX_DELIVER) + 1,
        ack_wait=settings.ack_wait,
        max_ack_pending=10_000,
    )


def attempts_of(msg: Msg) -> int:
    return msg.metadata.num_delivered if msg.reply else 1


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


@dataclass
class Settler:
    stage: str
    settings: Settings
    js: JetStreamContext

    async def failed(self, msg: Msg, exc: BaseException) -> str:
        """Settle a failed message; returns what was done ('shunted' or 'retry')."""
        attempts = attempts_of(msg)
        permanent = isinstance(exc, PERMANENT_ERRORS)
        outage = not permanent and database_unavailable(exc)
        limit = max(self.settings.max_deliver, OUTAGE_MAX_DELIVER) if outage else self.settings.max_deliver
        if permanent or attempts >= limit:
            reason = ("permanent: " if permanent else f"gave up after {attempts} attempts: ") + describe(exc)
            await shunt(self.js, self.stage, msg, reason, attempts)
            await msg.ack()
            log.warning("%s: shunted %s (%s)", self.stage, msg.subject, type(exc).__name__)
            return "shunted"
        delay = self.settings.backoff_for(attempts)
        await msg.nak(delay=delay)
        log.info("%s: retry %s in %.1fs after %s", self.stage, msg.subject, delay, type(exc).__name__)
        return "retry"
