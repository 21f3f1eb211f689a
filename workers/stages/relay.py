"""Worker `relay`: publishes committed outbox rows to NATS (Nats-Msg-Id = outbox id), marks them sent.

Publishing happens outside any DB transaction; a crash between the PubAck and the mark only
republishes, and JetStream drops the repeat by its Msg-Id. The rows are read without the writer and the
marks queued behind the routing transactions (relay_forever), so the relay is never held up by a backlog.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

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
MOST_UNMARKED = 20 * BATCH  # published rows whose mark may wait at once
MARK_POLL = 0.05  # seconds between looks while marks are waiting (then a failed row is retried promptly)


def outbox_msg_id(outbox_id: int) -> str:
    return f"outbox:{outbox_id}"


# Built once: a round runs them each time, and on a steady load's small rounds building a statement costs
# more than running it.
_OUTBOX = cast_table(Outbox)  # plain table: no ORM work per execution, no session synchronisation for the UPDATEs
_UNSENT_AFTER = (select(_OUTBOX.c.id, _OUTBOX.c.subject, cast(_OUTBOX.c.payload, Text))
                 .where(_OUTBOX.c.sent_at.is_(None), _OUTBOX.c.id > bindparam("after"))
                 .order_by(_OUTBOX.c.id).limit(bindparam("most")))
_MARK_SENT = update(_OUTBOX).where(_OUTBOX.c.id.in_(bindparam("ids", expanding=True))).values(
    sent_at=bindparam("marked_at"))
_MARK_FAILED = update(_OUTBOX).where(_OUTBOX.c.id.in_(bindparam("ids", expanding=True))).values(
    attempts=_OUTBOX.c.attempts + 1)


def _body(row_id: int, subject: str, payload: str) -> bytes:
    if carries_outbox_id(subject):  # a reply or notice carries its outbox id: stamp it in
        return json.dumps(payload_to_publish(row_id, subject, json.loads(payload)), ensure_ascii=False).encode()
    return payload.encode()


def _mark(session: Session, sent: list[int], failed: list[int], published_at: datetime) -> None:
    """`published_at`: when their PubAcks were in (the mark itself may run later)."""
    if sent:
        session.execute(_MARK_SENT, {"ids": sent, "marked_at": published_at})
    if failed:
        session.execute(_MARK_FAILED, {"ids": failed})


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


async def _unsent_after(database: Database, after: int, limit: int) -> list[tuple[int, str, str]]:
    """Oldest unsent rows with an id above `after`, read without the writer (on SQLite a reader never waits
    for it in WAL mode)."""
    async with database.read_sessions() as session:
        rows = (await session.execute(_UNSENT_AFTER, {"after": after, "most": limit})).all()
    return [(row_id, subject, payload) for row_id, subject, payload in rows]


@dataclass
class _Marks:
    """Marks of published rows still waiting for their transaction. On SQLite the marks queue behind the
    routing batches (which go first); the relay meanwhile goes on reading above the highest id published, so
    what waits for its mark is never published again, and a row that failed, or (PostgreSQL) one committed
    after a higher id, is read again once every mark is in."""

    waiting: deque[tuple[asyncio.Future[None], int, int]] = field(default_factory=deque)  # (mark, highest id, rows)

    def add(self, mark: asyncio.Future[None], highest_id: int, rows: int) -> None:
        self.waiting.append((mark, highest_id, rows))

    def rows(self) -> int:
        return sum(rows for _, _, rows in self.waiting)

    def after(self) -> int:
        """Read above this id: every row up to it was published and is being marked (0: nothing is). Each round
        reads above the last, so the newest mark has the highest id."""
        return self.waiting[-1][1] if self.waiting else 0

    def forget_done(self) -> None:
        while self.waiting and self.waiting[0][0].done():
            self._pop()

    async def wait_oldest(self) -> None:
        await asyncio.wait([self.waiting[0][0]])
        self._pop()

    def _pop(self) -> None:
        failure = self.waiting.popleft()[0].exception()
        if failure is not None:  # not marked: read and published again (JetStream drops the repeat by Msg-Id)
            log.warning("relay: marking sent rows failed: %s", type(failure).__name__)


async def relay_forever(
    js: JetStreamContext, database: Database, wake: asyncio.Event, stop: asyncio.Event, idle_poll: float
) -> None:
    """Drain the outbox whenever nudged, and at least every `idle_poll` seconds.

    Each round reads the next rows (a read, not a write transaction), publishes them and queues their mark
    without waiting for it: the relay keeps publishing acknowledgements and ticket events while the writer is
    busy routing a storm's backlog, instead of leaving them all for after it.
    """
    marks = _Marks()
    while not stop.is_set():
        try:
            marks.forget_done()
            while marks.rows() >= MOST_UNMARKED:  # bounded: the writer catches up before more is published
                await marks.wait_oldest()
            rows = await _unsent_after(database, marks.after(), BATCH)
            if rows:
                sent, failed = await _publish(js, rows)
                marks.add(database.submit_transaction(
                    functools.partial(_mark, sent=sent, failed=failed, published_at=utcnow())),
                          rows[-1][0], len(rows))
                continue
        except Exception as exc:  # NATS or DB away: keep trying, never die
            log.warning("relay: %s", type(exc).__name__)
            await asyncio.sleep(1.0)
            continue
        wake.clear()
        try:
            await asyncio.wait_for(wake.wait(), timeout=idle_poll if not marks.waiting else MARK_POLL)
        except TimeoutError:
            pass
