"""Process a pulled batch in one DB transaction, one SAVEPOINT per message.

A message whose work fails is rolled back alone and retried or shunted; the rest commit together
(one commit, one fsync, for the whole batch). Acks go out only after the commit.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from nats.aio.msg import Msg
from sqlalchemy.ext.asyncio import AsyncSession

from workers.reliability import Settler
from workers.runtime import Database

T = TypeVar("T")
R = TypeVar("R")
log = logging.getLogger("complaints.batching")


async def process_batch(
    messages: list[Msg],
    decode: Callable[[bytes], T],
    handle: Callable[[AsyncSession, T], Awaitable[R]],
    database: Database,
    settler: Settler,
) -> list[R]:
    decoded: list[tuple[Msg, T]] = []
    for msg in messages:
        try:
            decoded.append((msg, decode(msg.data)))
        except Exception as exc:
            await settler.failed(msg, exc)

    done: list[tuple[Msg, R]] = []
    failed: list[tuple[Msg, Exception]] = []
    try:
        async with database.sessions() as session, session.begin():
            for msg, item in decoded:
                try:
                    async with session.begin_nested():
                        done.append((msg, await handle(session, item)))
                except Exception as exc:
                    failed.append((msg, exc))
    except Exception as exc:  # the commit itself failed: the whole batch is retried
        log.warning("%s: batch of %d not committed: %s", settler.stage, len(decoded), type(exc).__name__)
        for msg, _ in decoded:
            await settler.failed(msg, exc)
        return []

    for msg, _ in done:
        await msg.ack()
    for msg, exc in failed:
        await settler.failed(msg, exc)
    return [result for _, result in done]
