"""Worker `relay`: publishes committed outbox rows to NATS (Nats-Msg-Id = outbox id), marks them sent.

Publishing happens outside any DB transaction; a crash between the PubAck and the mark only
republishes, and JetStream drops the repeat by its Msg-Id.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging

from nats.js import JetStreamContext
from sqlalchemy import Text, bindparam, cast, select, update
from sqlalchemy.orm import Session

from router.models import Outbox, cast_table
from router.outbox import carries_outbox_id, payload_to_publish
from router.timeutil import utcnow
from workers.app.runtime import Database
from workers.bus.batching import Publication, publisher_for

log = logging.getLogger("complaints.relay")
BATCH = 1000  # rows per round: up to 500 complaints (acknowledgement + TicketEvent each)


def outbox_msg_id(outbox_id: int) -> str:
    return f"outbox:{outbox_id}"


# Built once: a round runs them each time, and on a steady load's small rounds building a statement costs
# more than running it.
_OUTBOX = cast_table(Outbox)  # plain table: no ORM work per execution, no session synchronisation for the UPDATEs
_UNSENT = (select(_OUTBOX.c.id, _OUTBOX.c.subject, cast(_OUTBOX.c.payload, Text)).where(_OUTBOX.c.sent_at.is_(None))
           .order_by(_OUTBOX.c.id).limit(bindparam("most")))
_MARK_SENT = update(_OUTBOX).where(_OUTBOX.c.id.in_(bindparam("ids", expanding=True))).values(
    sent_at=bindparam("marked_at"))
_MARK_FAILED = update(_OUTBOX).where(_OUTBOX.c.id.in_(bindparam("ids", expanding=True))).values(
    attempts=_OUTBOX.c.attempts + 1)


def _unsent(session: Session, limit: int) -> list[tuple[int, str, str]]:
    """Oldest unsent rows, the payload as its stored JSON text (published as it is)."""
    rows = session.execute(_UNSENT, {"most": limit}).all()
    return [(row_id, subject, payload) for row_id, subject, payload in rows]


def _body(row_id: int, subject: str, payload: str) -> bytes:
    if carries_outbox_id(subject):  # a reply or notice carries its outbox id: stamp it in
        return json.dumps(payload_to_publish(row_id, subject, json.loads(payload)), ensure_ascii=False).encode()
    return payload.encode()


def _mark(session: Session, sent: list[int], failed: list[int]) -> None:
    if sent:
        session.execute(_MARK_SENT, {"ids": sent, "marked_at": utcnow()})
    if failed:
        session.execute(_MARK_FAILED, {"ids": failed})


def _mark_and_read(session: Session, sent: list[int], failed: list[int], limit: int) -> list[tuple[int, str, str]]:
    _mark(session, sent, failed)
    return _unsent(session, limit)


async def _publish(js: JetStreamContext, rows: list[tuple[int, str, str]]) -> tuple[list[int], list[int]]:
    """Publish the rows; returns the ids published and the ids that failed."""
    results = await publisher_for(js).publish([
        Publication(subject, _body(row_id, subject, payload),
                 {"Nats-Msg-Id": outbox_msg_id(row_id), "content-type": "application/json"})
        for row_id, subject, payload in rows
    ])
    sent = [row[0] for row, result in zip(rows, results, strict=True) if not isinstance(result, Exception)]
    failed = [row[0] for row, result in zip(rows, results, strict=True) if isinstance(result, Exception)]
    if failed:
        first = next(r for r in results if isinstance(r, Exception))
        log.warning("relay: %d of %d not published (%s); retrying", len(failed), len(rows), type(first).__name__)
    return sent, failed


async def relay_once(js: JetStreamContext, database: Database, limit: int = BATCH) -> int:
    """Publish up to `limit` unsent rows; returns how many were published."""
    rows = await database.run_transaction(lambda s: _unsent(s, limit))
    if not rows:
        return 0
    sent, failed = await _publish(js, rows)
    await database.run_transaction(lambda s: _mark(s, sent, failed))
    return len(sent)


async def relay_forever(
    js: JetStreamContext, database: Database, wake: asyncio.Event, stop: asyncio.Event, idle_poll: float
) -> None:
    """Drain the outbox whenever nudged, and at least every `idle_poll` seconds.

    Each round marks what the previous round published and reads the next rows in one
    transaction: one trip to the database per round instead of two.
    """
    sent: list[int] = []
    failed: list[int] = []
    while not stop.is_set():
        try:
            rows = await database.run_transaction(functools.partial(_mark_and_read, sent=sent, failed=failed,
                                                                    limit=BATCH))
            sent, failed = [], []
            if rows:
                sent, failed = await _publish(js, rows)
                continue
        except Exception as exc:  # NATS or DB away: keep trying, never die
            log.warning("relay: %s", type(exc).__name__)
            await asyncio.sleep(1.0)
            continue
        wake.clear()
        try:
            await asyncio.wait_for(wake.wait(), timeout=idle_poll)
        except TimeoutError:
            pass
