"""The one thread that runs a process's SQLite transactions, urgent ones first.

SQLite has one writer, so a process runs its transactions one at a time in a thread of their own (the
plain driver in one call per transaction, no thread hop per statement). In the process that routes,
the same thread also records what relay, deliver, notify and sla did; a routing batch queued behind
those would wait for work the client does not wait for. An urgent transaction therefore goes before
every waiting ordinary one (never before the one running), in order among its kind.
"""

from __future__ import annotations

import asyncio
import itertools
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

R = TypeVar("R")

URGENT, ORDINARY, STOP = 0, 1, 2


@dataclass(order=True)
class _Job:
    priority: int
    sequence: int
    run: Callable[[], Any] = field(compare=False)
    loop: asyncio.AbstractEventLoop | None = field(compare=False)
    future: asyncio.Future[Any] | None = field(compare=False)


class WriterThread:
    def __init__(self, name: str = "sqlite-writer") -> None:
        self._name = name
        self._jobs: queue.PriorityQueue[_Job] = queue.PriorityQueue()
        self._sequence = itertools.count()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    async def run(self, work: Callable[[], R], urgent: bool = False) -> R:
        """`work()` in the writer thread; its result or its exception here. A caller cancelled before its
        turn never runs; one cancelled while running finishes there (a transaction is not cut short)."""
        return await self.submit(work, urgent)

    def submit(self, work: Callable[[], R], urgent: bool = False) -> asyncio.Future[R]:
        """`work()` queued now: its place in line is taken by this call, not when the future is awaited (two
        submitted one after the other run in that order). Cancelling the future before its turn skips it."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._start()
        self._jobs.put(_Job(URGENT if urgent else ORDINARY, next(self._sequence), work, future.get_loop(), future))
        return future

    def waiting(self) -> int:
        """Jobs queued that have not started yet."""
        return self._jobs.qsize()

    def stop(self) -> None:
        """After every job queued so far has run."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._jobs.put(_Job(STOP, next(self._sequence), lambda: None, None, None))
            thread.join()

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name=self._name, daemon=True)
                self._thread.start()

    def _serve(self) -> None:
        while True:
            job = self._jobs.get()
            if job.priority == STOP:
                return
            assert job.loop is not None and job.future is not None
            if job.future.cancelled():  # read without the loop's lock: at worst a cancelled job runs
                continue
            try:
                result = job.run()
            except BaseException as exc:  # handed to the caller, as an executor would
                _settle(job.loop, job.future, exc, error=True)
            else:
                _settle(job.loop, job.future, result, error=False)


def _settle(loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any], value: Any, error: bool) -> None:
    def settle() -> None:
        if future.done():  # the caller was cancelled meanwhile
            return
        if error:
            future.set_exception(value)
        else:
            future.set_result(value)

    try:
        loop.call_soon_threadsafe(settle)
    except RuntimeError:  # the loop is closed: nobody waits any more
        pass
