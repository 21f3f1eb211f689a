"""Process a pulled batch in one DB transaction.

Fast path: the whole batch without savepoints. If any message fails, the transaction is rolled
back and the batch is redone with one SAVEPOINT per message, so only the failing ones are rolled
back and retried or shunted while the rest commit. Acks go out only after the commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Generic, TypeVar

from nats.aio.msg import Msg
from sqlalchemy.orm import Session

from workers.reliability import Settler
from workers.runtime import Database

T = TypeVar("T")
R = TypeVar("R")
log = logging.getLogger("complaints.batching")


class _FirstFailure(Exception, Generic[T]):
    def __init__(self, index: int, error: Exception) -> None:
        super().__init__(index, error)
        self.index = index
        self.error = error


def _run_all(session: Session, items: list[T], handle: Callable[[Session, T], R]) -> list[R]:
    results: list[R] = []
    for index, item in enumerate(items):
        try:
            results.append(handle(session, item))
            session.flush()
        except Exception as exc:
            raise _FirstFailure(index, exc) from exc
    return results


def _run_isolated(
    session: Session, items: list[T], handle: Callable[[Session, T], R]
) -> list[R | Exception]:
    outcomes: list[R | Exception] = []
    for item in items:
        try:
            with session.begin_nested():
                outcomes.append(handle(session, item))
        except Exception as exc:
            outcomes.append(exc)
    return outcomes


async def process_batch(
    messages: list[Msg],
    decode: Callable[[bytes], T],
    handle: Callable[[Session, T], R],
    database: Database,
    settler: Settler,
) -> list[R]:
    """`handle` is synchronous: it runs inside Database.run_transaction."""
    decoded: list[tuple[Msg, T]] = []
    for msg in messages:
        try:
            decoded.append((msg, decode(msg.data)))
        except Exception as exc:
            await settler.failed(msg, exc)
    if not decoded:
        return []
    items = [item for _, item in decoded]

    try:
        try:
            results: list[R | Exception] = list(
                await database.run_transaction(lambda s: _run_all(s, items, handle))
            )
        except _FirstFailure:
            results = await database.run_transaction(lambda s: _run_isolated(s, items, handle))
    except Exception as exc:  # the commit itself failed: the whole batch is retried
        log.warning("%s: batch of %d not committed: %s", settler.stage, len(decoded), type(exc).__name__)
        for msg, _ in decoded:
            await settler.failed(msg, exc)
        return []

    done: list[R] = []
    for (msg, _), outcome in zip(decoded, results, strict=True):
        if isinstance(outcome, Exception):
            await settler.failed(msg, outcome)
        else:
            await msg.ack()
            done.append(outcome)
    return done
