"""submit_batch: a failing message is settled alone while the rest of its batch commits."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from router.models import TicketCounter
from workers.app.runtime import Database
from workers.bus.batching import submit_batch

pytestmark = pytest.mark.usefixtures("database_url")


@dataclass
class FakeMsg:
    data: bytes
    acked: bool = False

    async def ack(self) -> None:
        self.acked = True


@dataclass
class RecordingSettler:
    stage: str = "test"
    failures: list[tuple[bytes, BaseException]] = field(default_factory=list)

    async def failed(self, msg: FakeMsg, exc: BaseException) -> str:
        self.failures.append((msg.data, exc))
        return "retry"


def insert_years(session: Session, years: Sequence[int]) -> list[int]:
    """A batch handler: one row per item; year 13 is unlucky."""
    for year in years:
        if year == 13:
            raise ValueError("unlucky")
        session.execute(insert(TicketCounter).values(year=year, last_seq=0))
    return list(years)


async def years_in(database: Database) -> list[int]:
    async with database.sessions() as session:
        return list((await session.scalars(select(TicketCounter.year).order_by(TicketCounter.year))).all())


async def run(database: Database, messages: list[FakeMsg], settler: RecordingSettler) -> list[int]:
    return await submit_batch(
        messages,  # type: ignore[arg-type]
        lambda body: int(body),
        insert_years,
        database,
        settler,  # type: ignore[arg-type]
    )


async def test_a_failing_message_is_settled_alone_and_the_rest_commit(database: Database) -> None:
    messages = [FakeMsg(b"11"), FakeMsg(b"12"), FakeMsg(b"13"), FakeMsg(b"14"), FakeMsg(b"not a number")]
    settler = RecordingSettler()
    done = await run(database, messages, settler)
    assert done == [11, 12, 14]
    assert await years_in(database) == [11, 12, 14]
    assert [m.acked for m in messages] == [True, True, False, True, False]
    assert [(data, type(exc)) for data, exc in settler.failures] == [(b"not a number", ValueError), (b"13", ValueError)]


async def test_a_message_breaking_a_constraint_is_retried_alone(database: Database) -> None:
    await run(database, [FakeMsg(b"11")], RecordingSettler())
    messages = [FakeMsg(b"12"), FakeMsg(b"11")]  # 11 is there already: the primary key refuses it
    settler = RecordingSettler()
    assert await run(database, messages, settler) == [12]
    assert await years_in(database) == [11, 12]
    assert [m.acked for m in messages] == [True, False] and len(settler.failures) == 1


async def test_submit_batch_queues_the_transaction_at_once_and_acks_only_after_the_commit(database: Database) -> None:
    """A stage queues its next batch while the last one commits: both transactions are in the writer's line
    before either is awaited, they commit in the order submitted, and no message is acked before its commit."""
    if database.sync_engine is None:
        pytest.skip("the writer thread is SQLite's")
    gate, running = threading.Event(), threading.Event()

    def hold(session: Session) -> None:
        running.set()
        gate.wait(10)

    holder = asyncio.create_task(database.run_transaction(hold))
    assert await asyncio.to_thread(running.wait, 10)
    first, second = [FakeMsg(b"2001"), FakeMsg(b"2002")], [FakeMsg(b"2003"), FakeMsg(b"x")]
    settler = RecordingSettler()
    committed: list[int] = []

    def recording(session: Session, years: Sequence[int]) -> list[int]:
        committed.extend(years)
        return insert_years(session, years)

    settling = [submit_batch(batch, lambda body: int(body), recording, database, settler)  # type: ignore[arg-type]
                for batch in (first, second)]
    assert database._writer.waiting() == 2  # both queued before anything was awaited
    assert not any(msg.acked for msg in first + second)
    gate.set()
    assert await settling[1] == [2003]
    assert await settling[0] == [2001, 2002]
    await holder
    assert committed == [2001, 2002, 2003]
    assert all(msg.acked for msg in first + second[:1])
    assert [data for data, _ in settler.failures] == [b"x"]  # undecodable: settled, never lost
    assert await years_in(database) == [2001, 2002, 2003]


async def test_submitted_transactions_run_one_at_a_time_in_the_order_submitted(database: Database) -> None:
    """On both backends: the second of two routing batches submitted back to back begins only once the first
    has ended (on PostgreSQL each waits for the one before it), and a failing one does not stop the next."""
    order: list[str] = []

    def work(name: str, year: int) -> Callable[[Session], str]:
        def run(session: Session) -> str:
            order.append(f"{name} begins")
            session.execute(insert(TicketCounter).values(year=year, last_seq=0))  # a round trip: others may run
            if name == "second":
                raise ValueError("unlucky")
            session.execute(select(TicketCounter.year)).all()
            order.append(f"{name} ends")
            return name
        return run

    submitted = [database.submit_transaction(work(name, year))
                 for name, year in (("first", 2101), ("second", 2102), ("third", 2103))]
    outcomes = await asyncio.gather(*submitted, return_exceptions=True)
    assert outcomes[0] == "first" and isinstance(outcomes[1], ValueError) and outcomes[2] == "third"
    assert order == ["first begins", "first ends", "second begins", "third begins", "third ends"]
    assert await years_in(database) == [2101, 2103]  # the failed one rolled back
