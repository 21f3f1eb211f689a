"""The OK.ru webhook, independent of the web framework: check, hand off durably, then say what to answer.

Order per request:
1. the channel must be on in webhook mode (else 404);
2. the secret path segment (constant-time compare; wrong = 404, counted as forged);
3. the source address must be in the allow-list (else 403, counted as forged);
4. the body: a MESSAGE_CREATED event is published to INTAKE (Nats-Msg-Id "ok:<mid>") and only
   after the PubAck is 200 answered; no PubAck within `hand_off_timeout` (< OK's 5 s) = 503, so OK
   resends. Documented event kinds we do not take complaints from are counted and answered 200;
   a malformed body or an unknown kind is quarantined (SHUNT, with the reason) and answered 200 —
   OK resending it would not make it better.
Counters are in METRICS (module level; the web app may expose them).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from channels.base import BadSubmission, RawSubmission, WebhookAnswer
from channels.ok import parse
from channels.ok.config import OkConfig
from channels.ok.sources import allowed_source, source_address

log = logging.getLogger("complaints.ok.webhook")

METRICS: Counter[str] = Counter()

Publish = Callable[[RawSubmission], Awaitable[bool]]  # True when the stream already had it (duplicate)
Quarantine = Callable[[str, bytes, str], Awaitable[object]]  # (reason, body, dedup key)


def secret_matches(config: OkConfig, given: str) -> bool:
    expected = config.webhook_secret.get_secret_value() if config.webhook_secret else ""
    return bool(expected) and hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode())


def body_key(body: bytes) -> str:
    return "ok:body:" + hashlib.sha256(body).hexdigest()[:40]


def _count(outcome: str, status: int) -> WebhookAnswer:
    METRICS[outcome] += 1
    return WebhookAnswer(status, outcome)


async def handle_webhook(
    config: OkConfig | None, secret: str, peer: str | None, forwarded_for: str | None,
    read_body: Callable[[], Awaitable[bytes]], publish: Publish, quarantine: Quarantine,
    received_at: datetime | None = None,
) -> WebhookAnswer:
    """The answer to one webhook request; the body is read only once the request is believed."""
    if config is None or config.mode != "webhook":
        return WebhookAnswer(404, "disabled")
    if not secret_matches(config, secret):
        log.warning("ok webhook: wrong secret path from %s", peer)
        return _count("forged_secret", 404)
    source = source_address(peer, forwarded_for, config.trusted_proxies)
    if not allowed_source(source, config.allowed_networks):
        log.warning("ok webhook: source %s (peer %s) is outside the allow-list", source, peer)
        return _count("forged_source", 403)
    timeout = config.hand_off_timeout
    body = await read_body()
    try:
        triaged = parse.triage(parse.decode_body(body), received_at or datetime.now(UTC))
        if isinstance(triaged, str):
            log.info("ok webhook: %s event recorded and ignored", triaged)
            METRICS[f"ignored:{triaged}"] += 1
            return _count("ignored", 200)
    except BadSubmission as exc:
        try:
            await asyncio.wait_for(quarantine(str(exc), body, body_key(body)), timeout)
        except Exception as failure:
            log.warning("ok webhook: quarantine unavailable: %s", type(failure).__name__)
            return _count("unavailable", 503)
        log.warning("ok webhook: body quarantined: %s", exc)
        return _count("quarantined", 200)
    try:
        duplicate = await asyncio.wait_for(publish(triaged), timeout)
    except Exception as exc:  # no PubAck in time: nothing is promised, OK resends
        log.warning("ok webhook: hand-off of %s failed: %s", triaged.submission_id, type(exc).__name__)
        return _count("unavailable", 503)
    return _count("duplicate" if duplicate else "accepted", 200)
