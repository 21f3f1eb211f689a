"""The Callback API handling, apart from the web framework: authenticate, decide, hand off, answer.

Order matters: the secret (constant-time) and the group id are checked before anything else is
looked at, a forged request gets 403 and is counted; `confirmation` gets the configured string;
an event is answered `ok` only after JetStream's PubAck (a resend of the same event_id is dropped
by the INTAKE stream's Nats-Msg-Id dedup, so a lost answer never makes a second complaint).
"""

from __future__ import annotations

import hmac
import json
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from channels.base import BadSubmission, RawSubmission, WebhookAnswer
from channels.vk.config import VkConfig
from channels.vk.parse import parse_event

log = logging.getLogger("complaints.vk.callback")

# Counters of this process (forged requests among them), readable by health pages and tests.
METRICS: Counter[str] = Counter()

OK = "ok"
MAX_BODY = 1024 * 1024  # VK events are small: a message is at most 4096 characters


class Unavailable(RuntimeError):
    """The hand-off failed (no PubAck): answer so that VK resends."""


Publish = Callable[[RawSubmission], Awaitable[bool]]  # True when the stream already had it (duplicate)
Quarantine = Callable[[bytes, str, str], Awaitable[None]]  # (body without secret, native id, reason)

FORBIDDEN = WebhookAnswer(403, "forbidden")


def _authentic(config: VkConfig, body: dict[str, Any]) -> str | None:
    """None when the request is ours; else what is wrong (for the counter and the log)."""
    expected = config.secret.get_secret_value() if config.secret is not None else ""
    given = body.get("secret")
    given_text = given if isinstance(given, str) else ""
    # Compared in constant time whatever is sent (no early exit on a missing secret).
    if not hmac.compare_digest(given_text.encode(), expected.encode()):
        return "bad_secret"
    group_id = body.get("group_id")
    if not isinstance(group_id, int) or isinstance(group_id, bool) or group_id != config.group_id:
        return "wrong_group"
    return None


async def handle_callback(config: VkConfig, data: bytes, publish: Publish, quarantine: Quarantine,
                          retry_counter: str | None = None, now: datetime | None = None) -> WebhookAnswer:
    try:
        body = json.loads(data)
    except (UnicodeDecodeError, ValueError):
        body = None
    if not isinstance(body, dict):
        METRICS["forged"] += 1
        METRICS["forged_unreadable"] += 1
        log.warning("vk callback: unreadable body (%d bytes) rejected", len(data))
        return FORBIDDEN
    problem = _authentic(config, body)
    if problem is not None:
        METRICS["forged"] += 1
        METRICS[f"forged_{problem}"] += 1
        log.warning("vk callback: forged request rejected (%s)", problem)
        return FORBIDDEN

    kind = body.get("type")
    event_id = body.get("event_id")
    if retry_counter:
        METRICS["resent"] += 1
        log.info("vk callback: event %s resent by VK (X-Retry-Counter %s)", event_id, retry_counter[:8])
    try:
        parsed = parse_event(body, config.group_id, now or datetime.now(UTC))
    except BadSubmission as exc:
        stored = {k: v for k, v in body.items() if k != "secret"}
        native_id = f"{config.group_id}:{event_id}" if isinstance(event_id, str) else f"{config.group_id}:?"
        try:
            await quarantine(json.dumps(stored, ensure_ascii=False).encode(), native_id, str(exc))
        except Unavailable:  # not kept: VK must resend it (then it is kept with its reason)
            METRICS["unavailable"] += 1
            return WebhookAnswer(503, "temporarily unavailable")
        METRICS["quarantined"] += 1
        log.warning("vk callback: event %s of type %r quarantined: %s", event_id, kind, exc)
        return WebhookAnswer(200, OK)  # kept with the reason; a resend would not make it better

    if parsed.action == "confirm":
        METRICS["confirmation"] += 1
        if not config.confirmation:
            log.error("vk callback: VK asks for the confirmation string, none is configured")
            return WebhookAnswer(500, "confirmation string not configured")
        return WebhookAnswer(200, config.confirmation)
    if parsed.action == "ignore":
        METRICS["ignored"] += 1
        METRICS[f"ignored_{parsed.type}"] += 1
        log.info("vk callback: event %s of type %r recorded and ignored (%s)", event_id, parsed.type, parsed.reason)
        return WebhookAnswer(200, OK)

    assert parsed.raw is not None
    try:
        duplicate = await publish(parsed.raw)
    except Unavailable:
        METRICS["unavailable"] += 1
        return WebhookAnswer(503, "temporarily unavailable")
    METRICS["duplicate" if duplicate else "accepted"] += 1
    return WebhookAnswer(200, OK)
