"""Worker `relay`: publishes committed outbox rows to NATS (Nats-Msg-Id = outbox id), marks them sent.

Publishing happens outside any DB transaction; a crash between the PubAck and the mark only
republishes, and JetStream drops the repeat by its Msg-Id.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from nats.js import JetStreamContext
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from router.models import Outbox
from router.outbox import payload_to_publish
from router.timeutil import utcnow
from workers.runtime import Database

log = logging.getLogger("complaints.relay")
BATCH = 500


def outbox_msg_id(outbox_id: int) -> str:
    return f"outbox:{outbox_id}"


def _unsent(session: Session, limit: int) -> list[tuple[int, str, dict[str, Any]]]:
    rows = session.execute(
        select(Outbox.id, Outbox.subject, Outbox.payload)
        .where(Outbox.sent_at.is_(None))
        .order_by(Outbox.id)
        .limit(limit)
    ).all()
    return [(row.id, row.subject, row.payload) for row in rows]


def _mark(session: Session, sent: list[int], failed: list[int]) -> None:
    if sent:
        session.execute(update(Outbox).where(Outbox.id.in_(sent)).values(sent_at=utcnow()))
    if failed:
        session.execute(update(Outbox).where(Outbox.id.in_(failed)).values(attempts=Outbox.attempts + 1))


async def relay_once(js: JetStreamContext, database: Database, limit: int = BATCH) -> int:
    """Publish up to `limit` unsent rows; returns how many were published."""
    rows = await database.run_transaction(lambda s: _unsent(s, limit))
    if not rows:
        return 0
    results = await asyncio.gather(
        *(
            js.publish(
                subject,
                json.dumps(payload_to_publish(row_id, subject, payload), ensure_ascii=False).encode(),
                headers={"Nats-Msg-Id": outbox_msg_id(row_id), "content-type": "application/json"},
            )
            for row_id, subject, payload in rows
        ),
        return_exceptions=True,
    )
    sent = [row[0] for row, result in zip(rows, results, strict=True) if not isinstance(result, BaseException)]
    failed = [row[0] for row, result in zip(rows, results, strict=True) if isinstance(result, BaseException)]
    await database.run_transaction(lambda s: _mark(s, sent, failed))
    if failed:
        first = next(r for r in results if isinstance(r, BaseException))
        log.warning("relay: %d of %d not published (%s); retrying", len(failed), len(rows), type(first).__name__)
    return len(sent)


async def relay_forever(
    js: JetStreamContext, database: Database, wake: asyncio.Event, stop: asyncio.Event, idle_poll: float
) -> None:
    """Drain the outbox whenever nudged, and at least every `idle_poll` seconds."""
    while not stop.is_set():
        try:
            published = await relay_once(js, database)
        except Exception as exc:  # NATS or DB away: keep trying, never die
            log.warning("relay: %s", type(exc).__name__)
            published = 0
            await asyncio.sleep(1.0)
        if published:
            continue
        wake.clear()
        try:
            await asyncio.wait_for(wake.wait(), timeout=idle_poll)
        except TimeoutError:
            pass
