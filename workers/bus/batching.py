"""Batch work of the stages: one DB transaction per pulled batch, one PubAck wait per published batch.

submit_batch: the whole batch in one call of the batch handler, without savepoints. If it fails,
the transaction is rolled back and the batch is redone one message at a time, each in its own
SAVEPOINT (the handler called with a batch of one), so only the failing messages are rolled back
and retried or shunted while the rest commit. Acks go out only after the commit. The transaction is
queued when it is called and settled when what it returns is awaited, so that a stage queues its
next batch while the last one commits.

BatchPublisher: many messages to JetStream, every PubAck awaited together; SettleBehind lets a
stage work on its next batch while the last one's PubAcks are on the way or its transaction commits.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import weakref
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import PubAck
from nats.js.errors import APIError, NoStreamResponseError
from sqlalchemy.orm import Session

from workers.app.runtime import Database
from workers.bus.publish import PUBLISH_TIMEOUT
from workers.bus.reliability import Settler

T = TypeVar("T")
R = TypeVar("R")
BatchHandler = Callable[[Session, Sequence[T]], Sequence[R]]
log = logging.getLogger("complaints.batching")


# --- one transaction per pulled batch


class _HandlerFailed(Exception):
    """The handler raised (as opposed to the commit): worth redoing message by message."""


def _run_all(session: Session, items: list[T], handle: BatchHandler[T, R]) -> list[R]:
    try:
        results = list(handle(session, items))
        session.flush()
    except Exception as exc:
        raise _HandlerFailed from exc
    assert len(results) == len(items), "a batch handler returns one result per item"
    return results


def _run_isolated(session: Session, items: list[T], handle: BatchHandler[T, R]) -> list[R | Exception]:
    outcomes: list[R | Exception] = []
    for item in items:
        try:
            with session.begin_nested():
                [result] = handle(session, [item])
            outcomes.append(result)
        except Exception as exc:
            outcomes.append(exc)
    return outcomes


def _decode_all(
    messages: list[Msg], decode: Callable[[bytes], T]
) -> tuple[list[tuple[Msg, T]], list[tuple[Msg, Exception]]]:
    decoded: list[tuple[Msg, T]] = []
    failed: list[tuple[Msg, Exception]] = []
    for msg in messages:
        try:
            decoded.append((msg, decode(msg.data)))
        except Exception as exc:
            failed.append((msg, exc))
    return decoded, failed


def submit_batch(
    messages: list[Msg],
    decode: Callable[[bytes], T],
    handle: BatchHandler[T, R],
    database: Database,
    settler: Settler,
    urgent: bool = False,
) -> Coroutine[Any, Any, list[R]]:
    """`handle(session, items)` is synchronous (it runs inside Database.submit_transaction, `urgent` or not)
    and returns one result per item, in order. The batch is decoded and its transaction queued by this call;
    the coroutine it returns waits for the commit, settles every message and returns the results of those
    that committed. A stage can so fetch and queue its next batch while this one commits, and its batches
    still commit in the order they were pulled."""
    decoded, undecodable = _decode_all(messages, decode)
    items = [item for _, item in decoded]
    committing = database.submit_transaction(lambda s: _run_all(s, items, handle), urgent) if items else None
    return _settle_batch(decoded, items, undecodable, committing, handle, database, settler, urgent)


async def _settle_batch(
    decoded: list[tuple[Msg, T]],
    items: list[T],
    undecodable: list[tuple[Msg, Exception]],
    committing: Awaitable[list[R]] | None,
    handle: BatchHandler[T, R],
    database: Database,
    settler: Settler,
    urgent: bool,
) -> list[R]:
    for msg, exc in undecodable:
        await settler.failed(msg, exc)
    if committing is None:
        return []

    try:
        try:
            results: list[R | Exception] = list(await committing)
        except _HandlerFailed:  # in turn too: never side by side with a batch submitted since
            results = await database.submit_transaction(lambda s: _run_isolated(s, items, handle), urgent)
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


# --- publishing a batch


@dataclass(frozen=True)
class Publication:
    subject: str
    body: bytes
    headers: dict[str, str]


class BatchPublisher:
    """Publishes a batch of messages to JetStream and waits once for all their PubAcks.

    js.publish() is a request per message with a timer of its own (~60 µs of CPU per message
    here); this gives every message a reply subject on one inbox subscription and waits for the
    lot at once (~30 µs). A message without a PubAck in time counts as failed, as a timed-out
    publish does: the caller retries it, and the stream drops a repeat by its Nats-Msg-Id.
    """

    def __init__(self, nc: NATS, timeout: float = PUBLISH_TIMEOUT) -> None:
        self._nc = nc
        self.timeout = timeout
        self._inbox: str | None = None
        self._tokens = itertools.count()
        self._waiting: dict[str, asyncio.Future[Msg]] = {}

    async def publish(self, messages: Sequence[Publication]) -> list[PubAck | Exception]:
        """One result per message, in order: its PubAck, or why it was not stored."""
        return await (await self.send(messages)).results()

    async def flush(self) -> None:
        """Everything written on the connection so far is at the server (a round trip)."""
        await self._nc.flush(timeout=max(1, round(self.timeout)))  # nats-py takes whole seconds

    async def send(self, messages: Sequence[Publication]) -> InFlight:
        """Send them all now; the PubAcks are awaited with `results()` of what this returns."""
        inbox = await self._reply_inbox()
        return InFlight(self, [await self._send(inbox, message) for message in messages])

    async def _send(self, inbox: str, message: Publication) -> tuple[str, asyncio.Future[Msg]] | Exception:
        token = str(next(self._tokens))
        future: asyncio.Future[Msg] = asyncio.get_running_loop().create_future()
        self._waiting[token] = future
        try:
            await self._nc.publish(message.subject, message.body, reply=f"{inbox}.{token}", headers=message.headers)
        except Exception as exc:  # e.g. the connection is closed: never sent
            del self._waiting[token]
            return exc
        return token, future

    def outcome(self, token: str, future: asyncio.Future[Msg]) -> PubAck | Exception:
        if not future.done():
            self._waiting.pop(token, None)
            return TimeoutError(f"no PubAck within {self.timeout}s")
        return pub_ack(future.result())

    async def _reply_inbox(self) -> str:
        if self._inbox is None:
            inbox = self._nc.new_inbox()
            await self._nc.subscribe(f"{inbox}.*", cb=self._on_reply)
            self._inbox = inbox
        return self._inbox

    async def _on_reply(self, msg: Msg) -> None:
        future = self._waiting.pop(msg.subject.rsplit(".", 1)[-1], None)
        if future is not None and not future.done():
            future.set_result(msg)


@dataclass
class InFlight:
    """A sent batch whose PubAcks are on the way."""

    publisher: BatchPublisher
    sent: list[tuple[str, asyncio.Future[Msg]] | Exception]

    async def results(self) -> list[PubAck | Exception]:
        futures = [item[1] for item in self.sent if not isinstance(item, Exception)]
        if futures:
            await asyncio.wait(futures, timeout=self.publisher.timeout)
        return [item if isinstance(item, Exception) else self.publisher.outcome(*item) for item in self.sent]


def pub_ack(reply: Msg) -> PubAck | Exception:
    """What JetStream answered to a publish (as nats-py's js.publish reads it)."""
    if reply.headers and reply.headers.get("Status") == "503":
        return NoStreamResponseError()
    response = json.loads(reply.data)
    if "error" in response:
        try:
            APIError.from_error(response["error"])  # raises the error's own class
        except APIError as exc:
            return exc
    return PubAck.from_response(response)


_PUBLISHERS: weakref.WeakKeyDictionary[JetStreamContext, dict[float, BatchPublisher]] = weakref.WeakKeyDictionary()


def publisher_for(js: JetStreamContext, timeout: float = PUBLISH_TIMEOUT) -> BatchPublisher:
    """The BatchPublisher on this JetStream context's connection with this PubAck timeout (one per connection
    and timeout, made on first use)."""
    by_timeout = _PUBLISHERS.setdefault(js, {})
    if timeout not in by_timeout:
        by_timeout[timeout] = BatchPublisher(js._nc, timeout)  # nats-py has no public accessor for the connection
    return by_timeout[timeout]


# --- settling in the background


class SettleBehind:
    """Settles sent batches in the background, so the next batch is worked on while PubAcks travel (or, for a
    batch queued with submit_batch, while its transaction commits).

    At most `depth` batches are being settled at once; `start` waits for a free place. A
    batch whose settling never finishes (the process stops) is simply redelivered after ack_wait.
    """

    def __init__(self, depth: int) -> None:
        self._places = asyncio.Semaphore(depth)
        self._tasks: set[asyncio.Task[None]] = set()
        _SETTLING.add(self)

    async def start(self, settle: Coroutine[Any, Any, None]) -> None:
        await self._places.acquire()
        task = asyncio.create_task(settle)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    async def wait(self) -> None:
        """Until every batch started so far is settled."""
        if self._tasks:
            await asyncio.wait(list(self._tasks))

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._places.release()
        if not task.cancelled() and task.exception() is not None:
            log.warning("settling a batch failed (redelivered after ack_wait): %r", task.exception())


_SETTLING: weakref.WeakSet[SettleBehind] = weakref.WeakSet()


async def wait_settled(within: float = PUBLISH_TIMEOUT) -> None:
    """For a graceful stop, before the connection closes: lets batches in flight be acked now
    rather than redelivered after ack_wait."""
    waits = [behind.wait() for behind in list(_SETTLING)]
    if waits:
        await asyncio.wait_for(asyncio.gather(*waits), within)


# --- the process


