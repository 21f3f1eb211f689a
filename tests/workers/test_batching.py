"""process_batch: a failing message is settled alone while the rest of its batch commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from router.models import TicketCounter
from workers.app.runtime import Database
from workers.bus.batching import process_batch

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
    return await process_batch(
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
