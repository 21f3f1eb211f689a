"""The same content (a chat message, a mail's Message-ID) under two event ids, routed by two route replicas at
once: the store itself refuses the second copy. Before the unique index the dedup was a read-then-insert, and on
PostgreSQL (no file lock) two transactions that both read "not seen" both made a ticket.

On SQLite the write lock orders the two: the second sees the first and answers DUPLICATE. On PostgreSQL the
second waits on the unique key until the first commits, then fails; the route stage retries a failed message
(an IntegrityError is not permanent), and the retry answers DUPLICATE. Either way: one submission, one ticket.
"""

from __future__ import annotations

import asyncio
import random
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from channels.base import Channel
from router.calendar import BusinessCalendar
from router.models import CONTENT_ID_MAX, Submission, Ticket
from router.routing import Outcome, route_events
from tests.router.test_chat_routing import NOW, chat
from workers.app.runtime import Database

pytestmark = pytest.mark.usefixtures("database_url")


async def _count(database: Database, what: type[Submission] | type[Ticket]) -> int:
    async with database.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(what)) or 0)


async def test_two_replicas_routing_the_same_content_at_once_make_one_ticket(seeded: Database) -> None:
    first = chat(Channel.VK, "555", "Нет интернета", peer="2000000001")
    again = first.model_copy(update={"event_id": uuid.uuid4(), "submission_id": uuid.uuid4(),
                                     "native_id": first.native_id + ":redelivered"})
    assert again.content_id == first.content_id
    tickets_before = await _count(seeded, Ticket)

    async with seeded.sessions() as session, session.begin():  # replica 1, its transaction still open
        [created] = await session.run_sync(lambda s: route_events(s, [first], BusinessCalendar(), NOW))
        assert created.outcome is Outcome.CREATED
        # Replica 2 reads "not seen" (replica 1 has not committed) and inserts.
        other = asyncio.create_task(
            seeded.run_transaction(lambda s: route_events(s, [again], BusinessCalendar(), NOW)))
        await asyncio.sleep(0.5)
    try:
        [outcome] = await other
    except IntegrityError:  # PostgreSQL: the unique key, once replica 1 committed; the stage retries it
        [outcome] = await seeded.run_transaction(lambda s: route_events(s, [again], BusinessCalendar(), NOW))
    assert outcome.outcome is Outcome.DUPLICATE
    async with seeded.sessions() as session:
        copies = await session.scalar(select(func.count()).select_from(Submission)
                                      .where(Submission.content_id == first.content_id))
    assert copies == 1
    assert await _count(seeded, Ticket) == tickets_before + 1


async def test_a_content_id_too_long_for_the_index_is_routed_without_it(seeded: Database) -> None:
    """A mail's Message-ID of 998 characters of four-byte UTF-8 (RFC 6532 allows it) is ~4 KB: more than a
    PostgreSQL index entry holds. The complaint is routed; only its content id is not kept."""
    rng = random.Random(12)
    huge = "<" + "".join(chr(rng.randrange(0x10000, 0x1FFFF)) for _ in range(CONTENT_ID_MAX - 2)) + ">"
    assert len(huge) == CONTENT_ID_MAX and len(huge.encode()) > 3 * CONTENT_ID_MAX
    event = chat(Channel.VK, "556", "Нет связи").model_copy(update={"content_id": huge})
    [routed] = await seeded.run_transaction(lambda s: route_events(s, [event], BusinessCalendar(), NOW))
    assert routed.outcome is Outcome.CREATED
    async with seeded.sessions() as session:
        kept = await session.scalar(select(Submission.content_id).where(Submission.native_id == event.native_id))
    assert kept is None
