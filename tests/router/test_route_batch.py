"""route_events(): a batch routed in one transaction behaves as its events routed one by one, in order."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from channels.base import Channel
from normalizer.event import ComplaintEvent, Identities
from router.calendar import BusinessCalendar
from router.models import Outbox, Submission, Ticket, TicketCounter, TicketHistory
from router.routing import Outcome, RouteResult, route_events
from tests.support.directory import IVANOV, KUZNETSOV, SIDOROVA
from workers.app.runtime import Database

pytestmark = pytest.mark.usefixtures("database_url")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def event(native_id: str, refs: list[str] | None = None, channel: Channel = Channel.WEB, auto: bool = False,
          **ids: list[str]) -> ComplaintEvent:
    return ComplaintEvent(
        event_id=uuid.uuid4(), submission_id=uuid.uuid4(), channel=channel, native_id=native_id,
        received_at=NOW, identities=Identities(**ids), text=f"Жалоба {native_id}", thread_refs=refs or [],
        auto_generated=auto,
    )


async def route(database: Database, *events: ComplaintEvent) -> list[RouteResult]:
    return await database.run_transaction(lambda s: route_events(s, events, BusinessCalendar(), NOW))


async def count(database: Database, model: type) -> int:
    async with database.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_repeated_native_id_in_one_batch_makes_one_ticket(seeded: Database) -> None:
    results = await route(seeded, event("same", emails=[IVANOV.email]), event("same", emails=[IVANOV.email]),
                          event("same", channel=Channel.PHONE, emails=[IVANOV.email]))
    # The same native id on another channel is another submission.
    assert [r.outcome for r in results] == [Outcome.CREATED, Outcome.DUPLICATE, Outcome.CREATED]
    assert await count(seeded, Ticket) == 2 and await count(seeded, Submission) == 2


async def test_a_follow_up_names_a_ticket_made_earlier_in_the_same_batch(seeded: Database) -> None:
    first, follow, stranger = await route(
        seeded,
        event("f1", emails=[IVANOV.email]),
        event("f2", refs=["C-2026-000001"], emails=[IVANOV.email]),
        event("f3", refs=["C-2026-000001"], emails=[SIDOROVA.email]),  # not hers: a new ticket
    )
    assert first == RouteResult(Outcome.CREATED, "C-2026-000001", "m.petrova")
    assert follow == RouteResult(Outcome.FOLLOW_UP, "C-2026-000001", "m.petrova")
    assert stranger.outcome == Outcome.CREATED and stranger.ticket_number == "C-2026-000002"
    async with seeded.sessions() as session:
        ticket_id = await session.scalar(select(Ticket.id).where(Ticket.number == "C-2026-000001"))
        threaded = await session.scalar(select(Submission.ticket_id).where(Submission.native_id == "f2"))
        actions = (await session.scalars(
            select(TicketHistory.action).where(TicketHistory.ticket_id == ticket_id).order_by(TicketHistory.id)
        )).all()
    assert threaded == ticket_id and actions == ["registered", "primary_review", "follow_up"]


async def test_a_follow_up_in_a_batch_threads_into_an_open_ticket_of_an_earlier_one(seeded: Database) -> None:
    [old] = await route(seeded, event("o1", emails=[IVANOV.email]))
    results = await route(seeded, event("o2", emails=[SIDOROVA.email]),
                          event("o3", refs=[old.ticket_number or ""], emails=[IVANOV.email]))
    assert [r.outcome for r in results] == [Outcome.CREATED, Outcome.FOLLOW_UP]
    assert results[1].ticket_number == old.ticket_number
    # Every outbox row points at its ticket: ack + event for each new ticket, the same for the follow-up.
    async with seeded.sessions() as session:
        rows = (await session.execute(
            select(Ticket.number, Outbox.subject).join(Outbox, Outbox.ticket_id == Ticket.id).order_by(Outbox.id)
        )).all()
    assert [tuple(r) for r in rows] == [
        (old.ticket_number, "tickets.events.created"), (old.ticket_number, "tickets.events.stage_changed"),
        (old.ticket_number, "outbound.web"),
        (results[0].ticket_number, "tickets.events.created"),
        (results[0].ticket_number, "tickets.events.stage_changed"),
        (results[0].ticket_number, "outbound.web"),
        (old.ticket_number, "tickets.events.follow_up"), (old.ticket_number, "outbound.web"),
    ]


async def test_the_least_loaded_rule_takes_turns_within_one_batch(seeded: Database) -> None:
    results = await route(seeded, *(event(f"k{i}", contract_numbers=[KUZNETSOV.contract]) for i in range(3)))
    assert len({r.assignee for r in results}) == 3


async def test_the_least_loaded_rule_counts_the_batch_own_tickets(seeded: Database) -> None:
    # Loads are equal (none) at first; m.petrova's new personal ticket makes her busier, so the
    # next fallback goes to m.volkov, as it would if the three events came one by one.
    results = await route(seeded, event("k0", contract_numbers=[KUZNETSOV.contract]),
                          event("p1", emails=[IVANOV.email]), event("k1", contract_numbers=[KUZNETSOV.contract]))
    assert [r.assignee for r in results] == ["m.idle", "m.petrova", "m.volkov"]


async def test_auto_generated_mail_in_a_batch_makes_no_ticket(seeded: Database) -> None:
    results = await route(seeded, event("a1", auto=True, emails=[IVANOV.email]), event("a2", emails=[IVANOV.email]))
    assert [r.outcome for r in results] == [Outcome.AUTO_GENERATED, Outcome.CREATED]
    assert results[1].ticket_number == "C-2026-000001"


async def test_numbers_have_no_gap_after_a_rolled_back_batch(seeded: Database) -> None:
    await route(seeded, event("n1", emails=[IVANOV.email]), event("n2", emails=[IVANOV.email]))

    def route_then_fail(session: Session) -> None:
        route_events(session, [event("n3", emails=[IVANOV.email])], BusinessCalendar(), NOW)
        raise RuntimeError("the commit never happens")

    with pytest.raises(RuntimeError):
        await seeded.run_transaction(route_then_fail)
    results = await route(seeded, event("n3", emails=[IVANOV.email]), event("n4", emails=[IVANOV.email]))
    assert [r.ticket_number for r in results] == ["C-2026-000003", "C-2026-000004"]
    async with seeded.sessions() as session:
        assert await session.scalar(select(TicketCounter.last_seq).where(TicketCounter.year == 2026)) == 4


async def test_a_batch_of_duplicates_only_leaves_the_counter_alone(seeded: Database) -> None:
    await route(seeded, event("d1", emails=[IVANOV.email]))
    results = await route(seeded, event("d1", emails=[IVANOV.email]), event("d1", emails=[IVANOV.email]))
    assert [r.outcome for r in results] == [Outcome.DUPLICATE, Outcome.DUPLICATE]
    async with seeded.sessions() as session:
        assert await session.scalar(select(TicketCounter.last_seq)) == 1
