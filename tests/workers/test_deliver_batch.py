"""deliver_batch(): a batch of replies recorded in one transaction, each once, with the number to call back."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from channels.base import Channel
from normalizer.event import ComplaintEvent, Identities
from router.calendar import BusinessCalendar
from router.contracts import OutboundMessage
from router.models import CallbackTask, Delivery, Outbox
from router.routing import route_events
from tests.support.directory import IVANOV, seed_directory
from workers.app.runtime import Database
from workers.stages.deliver import deliver_batch

pytestmark = pytest.mark.usefixtures("database_url")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def event(native_id: str, channel: Channel, **ids: list[str]) -> ComplaintEvent:
    return ComplaintEvent(
        event_id=uuid.uuid4(), submission_id=uuid.uuid4(), channel=channel, native_id=native_id,
        received_at=NOW, identities=Identities(**ids), text="Жалоба",
    )


@pytest.fixture
async def replies(database: Database) -> list[OutboundMessage]:
    """Acknowledgements of three new tickets on channels with no way back (post and fax, no preferred
    contact): a known client, an unknown sender who gave phone numbers, an unknown sender without one."""
    async with database.sessions() as session, session.begin():
        await seed_directory(session)
    events = [
        event("known", Channel.POST, emails=[IVANOV.email]),
        event("caller", Channel.FAX, phones=["+79160000001", "+79160000002"]),
        event("anonymous", Channel.POST, emails=["nobody@example.org"]),
    ]
    await database.run_transaction(lambda s: route_events(s, events, BusinessCalendar(), NOW))
    async with database.sessions() as session:
        rows = (await session.execute(
            select(Outbox.id, Outbox.payload).where(Outbox.subject.like("outbound.%")).order_by(Outbox.id)
        )).all()
    return [OutboundMessage.model_validate({**payload, "outbox_id": row_id}) for row_id, payload in rows]


async def test_each_reply_becomes_a_call_back_task_with_the_right_number(
    database: Database, replies: list[OutboundMessage]
) -> None:
    statuses = await database.run_transaction(lambda s: deliver_batch(s, replies))
    assert statuses == ["callback", "callback", "callback"]
    async with database.sessions() as session:
        tasks = (await session.execute(
            select(CallbackTask.outbox_id, CallbackTask.phone).order_by(CallbackTask.outbox_id)
        )).all()
        deliveries = (await session.scalars(select(Delivery.outbox_id).order_by(Delivery.outbox_id))).all()
    # The client's phone on record; the caller's first number from the submission; nothing for the last.
    assert [phone for _, phone in tasks] == [IVANOV.phone, "+79160000001", None]
    assert list(deliveries) == [r.outbox_id for r in replies]


async def test_a_reply_is_delivered_once_within_a_batch_and_across_batches(
    database: Database, replies: list[OutboundMessage]
) -> None:
    first, second, third = replies
    statuses = await database.run_transaction(lambda s: deliver_batch(s, [first, second, first]))
    assert statuses == ["callback", "callback", "duplicate"]
    again = await database.run_transaction(lambda s: deliver_batch(s, [second, third]))
    assert again == ["duplicate", "callback"]
    async with database.sessions() as session:
        assert len((await session.scalars(select(Delivery.id))).all()) == 3
        assert len((await session.scalars(select(CallbackTask.id))).all()) == 3


async def test_a_reply_for_an_unknown_ticket_fails_the_batch(
    database: Database, replies: list[OutboundMessage]
) -> None:
    lost = replies[0].model_copy(update={"ticket_number": "C-1999-000001", "outbox_id": 999})
    with pytest.raises(LookupError):
        await database.run_transaction(lambda s: deliver_batch(s, [replies[1], lost]))
    async with database.sessions() as session:  # rolled back whole; submit_batch then retries each alone
        assert (await session.scalars(select(Delivery.id))).all() == []
