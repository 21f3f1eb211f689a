"""The sla worker fires each warning and escalation exactly once per ticket, clock and level: with two
replicas ticking at the same moment, and after a restart. Time comes from an injected clock (never sleeps);
real SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from channels.base import Channel
from normalizer.event import ComplaintEvent, Identities
from router.models import Outbox, SlaTimer, Staff, StaffAlert, Ticket, TicketHistory
from router.review import perform
from router.routing import RoutingPolicy, route_events
from tests.support.directory import IVANOV, seed_directory
from workers.app.runtime import Database
from workers.app.settings import Settings
from workers.stages.sla import sla_forever, sla_once

pytestmark = pytest.mark.usefixtures("database_url")
# Monday 23 Nov 2026, 13:00 in Moscow. By hand (09:00-18:00, no lunch):
# first response: 5 h on Monday + 3 h on Tuesday = Tue 24 Nov 12:00 MSK (09:00 UTC); its warning 2 working
#   hours earlier, Tue 10:00 MSK (07:00 UTC);
# resolution: the end of the 5th working day after Monday = Mon 30 Nov 18:00 MSK (15:00 UTC);
# legal: day 1 is 24 Nov, day 60 is Fri 22 Jan 2027, a working day: 22 Jan 23:59:59 MSK.
RECEIVED = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
FIRST_WARNING = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
FIRST_DUE = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
RESOLUTION_DUE = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
LEGAL_DUE = datetime(2027, 1, 22, 20, 59, 59, tzinfo=UTC)


@pytest.fixture
async def ticket(database: Database, settings: Settings) -> str:
    async with database.sessions() as session, session.begin():
        await seed_directory(session)
        session.add(Staff(login="d.director", name="Белов Сергей Иванович", role="director", department="management",
                          active=True))
    event = ComplaintEvent(event_id=uuid.uuid4(), submission_id=uuid.uuid4(), channel=Channel.WEB, native_id="w1",
                           received_at=RECEIVED, identities=Identities(emails=[IVANOV.email]), text="Нет интернета")
    policy = RoutingPolicy(sla=settings.sla_policy)
    # Routed an hour after it was received (a backlog): the clocks still start at its receipt.
    [result] = await database.run_transaction(
        lambda s: route_events(s, [event], settings.calendar, RECEIVED + timedelta(hours=1), policy))
    assert result.ticket_number is not None
    return result.ticket_number


@pytest.fixture
async def replicas(settings: Settings) -> AsyncIterator[list[Database]]:
    """Two more processes' worth of connections to the same store (the test's own is the first)."""
    extra = [Database.from_settings(settings) for _ in range(2)]
    yield extra
    for db in extra:
        await db.close()


async def history(database: Database, number: str) -> list[tuple[str, str]]:
    def read(session: Session) -> list[tuple[str, str]]:
        rows = session.execute(select(TicketHistory.action, TicketHistory.note).join(Ticket).where(
            Ticket.number == number, TicketHistory.action.like("sla_%")).order_by(TicketHistory.id))
        return [(action, note or "") for action, note in rows]
    return await database.run_transaction(read)


async def alerts(database: Database) -> list[tuple[str, str]]:
    async with database.sessions() as session:
        rows = await session.execute(select(StaffAlert.login, StaffAlert.kind).order_by(StaffAlert.id))
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def test_the_clocks_start_at_receipt_and_their_timers_are_in_place(database: Database, ticket: str) -> None:
    async with database.sessions() as session:
        row = await session.scalar(select(Ticket).where(Ticket.number == ticket))
        timers = (await session.execute(select(SlaTimer.clock, SlaTimer.level, SlaTimer.fire_at)
                                        .order_by(SlaTimer.id))).all()
    assert row is not None and row.created_at.replace(tzinfo=UTC) == RECEIVED  # shown as the registration time
    assert row.first_response_due.replace(tzinfo=UTC) == FIRST_DUE
    assert row.resolution_due.replace(tzinfo=UTC) == RESOLUTION_DUE
    assert row.legal_due.replace(tzinfo=UTC) == LEGAL_DUE
    fire = {(clock, level): at.replace(tzinfo=UTC) for clock, level, at in timers}
    assert fire[("first_response", "warning")] == FIRST_WARNING
    assert fire[("first_response", "breach")] == FIRST_DUE
    assert fire[("legal", "warning")] == LEGAL_DUE - timedelta(days=10)
    assert len(timers) == 6


async def test_each_warning_and_escalation_fires_once_across_replicas_and_a_restart(
    database: Database, settings: Settings, ticket: str, replicas: list[Database]
) -> None:
    first, second = replicas
    assert await sla_once(database, settings, FIRST_WARNING - timedelta(seconds=1)) == []
    # Two replicas tick at the same moment: one of them fires the warning.
    fired = await asyncio.gather(sla_once(first, settings, FIRST_WARNING), sla_once(second, settings, FIRST_WARNING))
    assert sorted(len(f) for f in fired) == [0, 1]
    assert [a for a, _ in await history(database, ticket)] == ["sla_warning"]
    assert await alerts(database) == [("m.petrova", "sla_warning")]  # the person responsible
    # A restarted worker (a fresh connection) at a later moment fires nothing new.
    restarted = Database.from_settings(settings)
    try:
        assert await sla_once(restarted, settings, FIRST_WARNING + timedelta(minutes=30)) == []
        fired = await asyncio.gather(sla_once(first, settings, FIRST_DUE), sla_once(restarted, settings, FIRST_DUE))
    finally:
        await restarted.close()
    assert sorted(len(f) for f in fired) == [0, 1]
    actions = await history(database, ticket)
    assert [a for a, _ in actions] == ["sla_warning", "sla_breach"]
    assert "Нарушен срок первого ответа клиенту: 24.11.2026 12:00" in actions[1][1]
    # The breached first response goes to the manager's deputy and the subscriber head.
    assert (await alerts(database))[1:] == [("m.volkov", "sla_escalation"), ("h.subscriber", "sla_escalation")]

    # The first response given: the resolution clock still runs and breaches; the legal limit is stopped by
    # the final answer and fires nothing.
    await database.run_transaction(lambda s: perform(s, ticket, "m.petrova", "acknowledge", {}, FIRST_DUE))
    fired_late = await sla_once(second, settings, RESOLUTION_DUE)
    assert [(f.clock, f.level, f.outcome) for f in fired_late] == [("resolution", "warning", "fired"),
                                                                  ("resolution", "breach", "fired")]
    await database.run_transaction(lambda s: perform(
        s, ticket, "m.petrova", "answer_unfounded", {"text": "Работы были объявлены заранее."},
        RESOLUTION_DUE + timedelta(hours=1)))
    stopped = await sla_once(first, settings, LEGAL_DUE + timedelta(days=1))
    assert [(f.clock, f.outcome) for f in stopped] == [("legal", "stopped"), ("legal", "stopped")]
    assert [a for a, _ in await history(database, ticket)] == ["sla_warning", "sla_breach", "sla_warning",
                                                               "sla_breach"]
    async with database.sessions() as session:
        unfired = await session.scalar(select(func.count()).select_from(SlaTimer).where(SlaTimer.fired_at.is_(None)))
        notices = await session.scalar(select(func.count()).select_from(Outbox).where(
            Outbox.subject == "notices.staff"))
    assert unfired == 0
    assert notices == len(await alerts(database))  # every alert is also emailed (notify worker)


async def test_the_worker_loop_ticks_on_the_injected_clock(database: Database, settings: Settings,
                                                           ticket: str) -> None:
    stop = asyncio.Event()
    now = [FIRST_WARNING - timedelta(hours=1)]
    fast = settings.model_copy(update={"sla_tick_seconds": 0.05})
    task = asyncio.create_task(sla_forever(database, fast, stop, clock=lambda: now[0]))
    try:
        await asyncio.sleep(0.2)
        assert await history(database, ticket) == []
        now[0] = FIRST_DUE  # the clock jumps: both first-response timers are due
        for _ in range(100):
            if len(await history(database, ticket)) == 2:
                break
            await asyncio.sleep(0.05)
        assert [a for a, _ in await history(database, ticket)] == ["sla_warning", "sla_breach"]
    finally:
        stop.set()
        await task


async def test_a_dispute_starts_the_re_review_clock_and_its_breach_goes_to_the_director(
    database: Database, settings: Settings, ticket: str
) -> None:
    closed_at = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # Tue 11:00 MSK
    await database.run_transaction(lambda s: perform(s, ticket, "m.petrova", "acknowledge", {}, closed_at))
    await database.run_transaction(lambda s: perform(
        s, ticket, "m.petrova", "answer_unfounded", {"text": "Работы были объявлены."}, closed_at))
    disputed_at = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)  # Wed 25 Nov 11:00 MSK
    await database.run_transaction(lambda s: perform(
        s, ticket, "m.petrova", "dispute", {"note": "Клиент не согласен"}, disputed_at))
    async with database.sessions() as session:
        row = await session.scalar(select(Ticket).where(Ticket.number == ticket))
        dispute_timers = (await session.scalars(select(SlaTimer.level).where(SlaTimer.clock == "dispute"))).all()
    # 5 working days after Wednesday: Thu 26, Fri 27, Mon 30, Tue 1, Wed 2 Dec; the end of that day, 18:00 MSK.
    assert row is not None and row.dispute_due is not None
    assert row.dispute_due.replace(tzinfo=UTC) == datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
    assert sorted(dispute_timers) == ["breach", "warning"]
    fired = await sla_once(database, settings, datetime(2026, 12, 2, 15, 0, tzinfo=UTC))
    assert [(f.clock, f.level, f.recipients) for f in fired if f.clock == "dispute"] == [
        ("dispute", "warning", ("d.director",)), ("dispute", "breach", ("d.director",))]
